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
        then prints every key with the value in force. With --defaults, prints the file the \
        package installs: every key commented out with its default.
        """)

    @OptionGroup var options: SharedOptions

    @Flag(name: .long, help: "Print the commented default configuration file instead.")
    var defaults = false

    func run() throws {
        let console = StandardStreams()
        if defaults {
            console.out(ConfigFile.defaultText())
            return
        }
        do {
            console.out(EffectiveConfig.text(try Settings.load(options.settings)))
        } catch {
            throw ExitCode(error.report(to: console).rawValue)
        }
    }
}
