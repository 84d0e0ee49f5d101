import MemcgCore

/// Two things the argument parser gets wrong for people, put right before
/// it runs. Neither changes what a valid command line means.
enum ArgumentFixups {
    static let commands = ["check", "status", "config", "watch", "alive", "help"]

    /// `--growth-threshold -5` reads to the parser as a missing value
    /// followed by an unknown option; joined as `--growth-threshold=-5` the
    /// value reaches the configuration, which says what is wrong with it.
    static func joiningNegativeValues(_ arguments: [String]) -> [String] {
        let valued = Set(ConfigKey.allCases.map { "--" + $0.optionName } + ["--config"])
        var out: [String] = []
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if valued.contains(a), i + 1 < arguments.count, arguments[i + 1].hasPrefix("-"),
               arguments[i + 1].dropFirst().first?.isNumber == true {
                out.append("\(a)=\(arguments[i + 1])")
                i += 2
            } else {
                out.append(a)
                i += 1
            }
        }
        return out
    }

    /// A first word that is no command would otherwise be taken as a stray
    /// argument of the default command, `check`.
    static func unknownCommand(_ arguments: [String]) -> String? {
        guard let first = arguments.first, !first.hasPrefix("-"), !commands.contains(first) else { return nil }
        let guess = nearest(first).map { " (did you mean '\($0)'?)" } ?? ""
        return "unknown command '\(first)'\(guess); the commands are check (the default), status, config, watch and alive; see 'mon_memcg --help'"
    }

    /// The command within two edits of `word`, if one is.
    static func nearest(_ word: String) -> String? {
        commands.map { ($0, distance(Array(word), Array($0))) }.filter { $0.1 <= 2 }.min { $0.1 < $1.1 }?.0
    }

    /// Levenshtein distance, small inputs only.
    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        var row = Array(0...b.count)
        for (i, ca) in a.enumerated() {
            var previous = row[0]
            row[0] = i + 1
            for (j, cb) in b.enumerated() {
                let next = min(row[j + 1] + 1, row[j] + 1, previous + (ca == cb ? 0 : 1))
                previous = row[j + 1]
                row[j + 1] = next
            }
        }
        return row[b.count]
    }
}
