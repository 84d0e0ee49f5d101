import ArgumentParser
import MemcgCore
import MemcgEngine
import MemcgKernel

/// Prints the configuration a check would use, or the shipped defaults.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print the effective configuration (file plus options), or the commented default file.",
        discussion: """
        Validates /etc/mon_memcg.conf (or --config) and the options exactly as a check would, \
        prints every key with the value in force, then checks this node as a check would meet \
        it (the memory controller, kubelet's signal, the target, its reclaim file, kubelet's \
        configuration) and says each check it passed as a '# checked:' line. A failing check \
        exits with the status a check would (3, 4, 5). --syntax-only stops after the settings, \
        for a file meant for another machine. With --defaults, prints the file the package \
        installs: every key commented out with its default.
        """)

    @OptionGroup var options: SharedOptions

    @Flag(name: .long, help: "Print the commented default configuration file instead.")
    var defaults = false

    @Flag(name: .customLong("syntax-only"), help: "Check the settings only, not this node (for a file meant for another machine).")
    var syntaxOnly = false

    func run() throws {
        let console = StandardStreams()
        if defaults {
            console.out(ConfigFile.defaultText())
            return
        }
        do {
            let config = try Settings.load(options.settings)
            console.out(EffectiveConfig.text(config))
            guard !syntaxOnly else { return }
            console.out(try ConfigCheck.node(config).map { "# checked: \($0)\n" }.joined())
        } catch {
            throw ExitCode(error.report(to: console).rawValue)
        }
    }
}
