import ArgumentParser
import MemcgCore

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
        if defaults {
            Output.out(ConfigFile.defaultText())
            return
        }
        do {
            let config = try Settings.load(options.settings)
            // Valid config-file syntax, so the output can be saved as a file.
            Output.out(ConfigKey.allCases.map { key in
                if key == .cgroupRoot, !config.cgroupRootIsSet {
                    return "# cgroup_root is unset: the memory controller is found in \(config.procRoot)/self/mountinfo\n"
                }
                return "\(key.rawValue) = \(config.text(for: key))\n"
            }.joined())
        } catch {
            Output.err("mon_memcg: \(error.message)\n")
            throw ExitCode(error.status.rawValue)
        }
    }
}
