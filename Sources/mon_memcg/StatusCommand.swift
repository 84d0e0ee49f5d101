import ArgumentParser
import MemcgCore
import MemcgEngine
import MemcgKernel

/// Shows what kubelet sees and what a check would do, changing nothing.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what kubelet sees and what a check would do now; changes nothing.",
        discussion: """
        Reads the files a check reads, and for its section on page cache not on disk yet \
        /proc/vmstat and /proc/sys/vm/dirty_*; takes no lock and writes nothing. A missing \
        target cgroup is reported (a check would exit 4) but the node figures are still shown.
        """)

    @OptionGroup var options: SharedOptions

    @Flag(name: .long, help: "Print one JSON object with stable field names; sizes are integers in bytes.")
    var json = false

    func run() throws {
        let console = StandardStreams()
        do {
            let config = try Settings.load(options.settings)
            let report = try StatusReport.gather(config: config)
            console.out(json ? report.json() : report.text())
        } catch {
            throw ExitCode(error.report(to: console).rawValue)
        }
    }
}
