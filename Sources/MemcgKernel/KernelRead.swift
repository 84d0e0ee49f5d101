import MemcgCore

/// Reads a kernel file and parses it, mapping each failure to its KernelError.
func readParsed<T>(_ path: String, _ body: (String) throws(ParseError) -> T) throws(KernelError) -> T {
    let text: String
    do {
        text = try FileIO.read(path)
    } catch {
        throw .unreadable(error)
    }
    do {
        return try body(text)
    } catch {
        throw .malformed(path: path, error)
    }
}

