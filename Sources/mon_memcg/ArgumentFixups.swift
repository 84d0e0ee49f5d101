import MemcgCore

/// What the argument parser gets wrong for people, put right before it
/// runs. None changes what a valid command line means.
enum ArgumentFixups {
    static let commands = ["check", "status", "config", "watch", "alive", "restore", "help"]

    /// The options that take a value: every setting's, and `--config`
    /// (PlainCheck's list, which it reads in order).
    static let valued = Set(PlainCheck.names)

    /// `--growth-threshold -5` reads to the parser as a missing value
    /// followed by an unknown option; joined as `--growth-threshold=-5` the
    /// value reaches the configuration, which says what is wrong with it.
    static func joiningNegativeValues(_ arguments: [String]) -> [String] {
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

    /// `mon_memcg --config X status` → `mon_memcg status --config X`: every
    /// command takes the setting options, so written before the command
    /// they mean what they mean after it (the parser would take `status`
    /// as a stray argument of the default command, `check`).
    static func commandFirst(_ arguments: [String]) -> [String] {
        guard let (index, word) = firstWord(arguments), index > 0, commands.contains(word) else { return arguments }
        return [word] + arguments[..<index] + arguments[(index + 1)...]
    }

    /// The first word that is neither a setting option nor its value, and
    /// where it stands. Any other option ends the search: what follows it
    /// is the parser's to read (`--generate-completion-script bash`, the
    /// completion scripts' own calls, `--help`).
    static func firstWord(_ arguments: [String]) -> (Int, String)? {
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if !a.hasPrefix("-") { return (i, a) }
            if valued.contains(a) {
                i += 2
            } else if let eq = a.firstIndex(of: "="), valued.contains(String(a[..<eq])) {
                i += 1
            } else {
                return nil
            }
        }
        return nil
    }

    /// A first word that is no command would otherwise be taken as a stray
    /// argument of the default command, `check`; `help` of no command would
    /// print the overview and exit 0 as if it had answered.
    static func unknownCommand(_ arguments: [String]) -> String? {
        guard let (index, first) = firstWord(arguments) else { return nil }
        let word: String
        if !commands.contains(first) {
            word = first
        } else if first == "help", index == 0, arguments.count > 1, !commands.contains(arguments[1]), !arguments[1].hasPrefix("-") {
            word = arguments[1]
        } else {
            return nil
        }
        let guess = nearest(word).map { " (did you mean '\($0)'?)" } ?? ""
        return "unknown command '\(word)'\(guess); the commands are check (the default), status, config, watch and alive; see 'mon_memcg --help'"
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
