/// Milliseconds as seconds with three decimals (`1.250`), the one format
/// every log line and message uses; without String(format:), which pulls
/// in Foundation.
public func seconds(_ ms: Int64) -> String {
    let sign = ms < 0 ? "-" : ""
    let m = ms.magnitude
    let frac = String(m % 1000)
    return "\(sign)\(m / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
}
