/// `/proc/sys/vm/min_free_kbytes`, the kernel's low watermark. The original script adds
/// it to the threshold: its `global thresh 4362076160` is 4 GiB + 65536 kB.
public enum Watermark {
    public static func parse(minFreeKbytes text: String) throws(ParseError) -> Bytes {
        let kb = try CounterFile.parse(text)
        let bytes = kb.scaled(by: Bytes.kibibyte)
        guard bytes.value < Int64.max else { throw ParseError("min_free_kbytes is too large") }
        return bytes
    }
}
