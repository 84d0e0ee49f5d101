import Foundation
import Testing
import TestSupport

/// The shell completions the package installs offer the values an option
/// takes. Bash's is run for real: the script is sourced and its function
/// called as bash would on <TAB>.
@Suite
struct CompletionTests {
    func bashCompletions(_ words: [String]) throws -> [String] {
        let script = try Binary.run(["--generate-completion-script", "bash"])
        #expect(script.status == 0, "\(script.stderr)")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mon_memcg-completion-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("mon_memcg.bash")
        try script.stdout.write(to: file, atomically: true, encoding: .utf8)
        // COMP_* as bash sets them for a <TAB> at the end of the line.
        let line = words.joined(separator: " ")
        let quoted = words.map { "'\($0)'" }.joined(separator: " ")
        let r = try Binary.run(["-c", """
            source '\(file.path)'
            COMP_WORDS=(\(quoted)); COMP_CWORD=\(words.count - 1)
            COMP_LINE='\(line)'; COMP_POINT=${#COMP_LINE}
            _mon_memcg mon_memcg '\(words.last!)' '\(words[words.count - 2])'
            printf '%s\\n' "${COMPREPLY[@]}"
            """], executable: "/bin/bash")
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout.split(separator: "\n").map(String.init)
    }

    @Test("bash completes --dying-reclaim's values, for every subcommand", arguments: ["check", "status", "config", "watch"])
    func dyingReclaimValues(_ command: String) throws {
        #expect(try bashCompletions(["mon_memcg", command, "--dying-reclaim", ""]) == ["auto", "reaper", "drop_caches", "off"])
        #expect(try bashCompletions(["mon_memcg", command, "--dying-reclaim", "d"]) == ["drop_caches"])
    }

    @Test("zsh and fish get the same values")
    func otherShells() throws {
        let zsh = try Binary.run(["--generate-completion-script", "zsh"]).stdout
        #expect(zsh.contains("___dying_reclaim=('auto' 'reaper' 'drop_caches' 'off')"))
        let fish = try Binary.run(["--generate-completion-script", "fish"]).stdout
        #expect(fish.contains("-l 'dying-reclaim'") && fish.contains("-rfka 'auto reaper drop_caches off'"))
    }
}
