/// Words wrapped to `width` columns: the first line after `firstPrefix`,
/// the others after `restPrefix` (a hanging indent for help tables).
public func wrap(_ text: String, width: Int, firstPrefix: String, restPrefix: String) -> String {
    var lines: [String] = []
    var line = firstPrefix
    var lineHasWord = false
    for word in text.split(separator: " ") {
        if lineHasWord, line.count + 1 + word.count > width {
            lines.append(line)
            line = restPrefix
            lineHasWord = false
        }
        line += (lineHasWord ? " " : "") + word
        lineHasWord = true
    }
    lines.append(line)
    return lines.joined(separator: "\n")
}
