import MemcgCore
import Testing
import TestSupport

/// What the environment systemd starts a service with asks of it.
struct ServiceNotifyTests {
    struct Row: NamedRow {
        var name: String
        var socket, usec, pid: String?
        var expected: ServiceNotify
    }

    static let long = "/" + String(repeating: "s", count: 107)
    static let rows: [Row] = [
        Row(name: "not under systemd", expected: ServiceNotify()),
        Row(name: "empty NOTIFY_SOCKET", socket: "", expected: ServiceNotify()),
        Row(name: "path", socket: "/run/systemd/notify", expected: ServiceNotify(socket: "/run/systemd/notify")),
        Row(name: "abstract", socket: "@/org/freedesktop/systemd1/notify/123", expected: ServiceNotify(socket: "@/org/freedesktop/systemd1/notify/123")),
        Row(name: "@ alone", socket: "@", expected: ServiceNotify(problem: "NOTIFY_SOCKET \"@\" is neither a path nor an @abstract name (vsock is not supported)")),
        Row(name: "relative path", socket: "run/notify", expected: ServiceNotify(problem: "NOTIFY_SOCKET \"run/notify\" is neither a path nor an @abstract name (vsock is not supported)")),
        Row(name: "vsock", socket: "vsock:2:1234", expected: ServiceNotify(problem: "NOTIFY_SOCKET \"vsock:2:1234\" is neither a path nor an @abstract name (vsock is not supported)")),
        Row(name: "107 bytes fit", socket: String(long.dropLast()), expected: ServiceNotify(socket: String(long.dropLast()))),
        Row(name: "108 bytes do not", socket: long, expected: ServiceNotify(problem: "NOTIFY_SOCKET \(long.prefix(60))... is longer than a unix socket address")),
        Row(name: "watchdog: half of WATCHDOG_USEC", socket: "/n", usec: "120000000", expected: ServiceNotify(socket: "/n", watchdogPingMilliseconds: 60_000)),
        Row(name: "watchdog for this pid", socket: "/n", usec: "120000000", pid: "4242", expected: ServiceNotify(socket: "/n", watchdogPingMilliseconds: 60_000)),
        Row(name: "watchdog for another pid", socket: "/n", usec: "120000000", pid: "1", expected: ServiceNotify(socket: "/n")),
        Row(name: "watchdog pid not a number", socket: "/n", usec: "120000000", pid: "x", expected: ServiceNotify(socket: "/n")),
        Row(name: "tiny watchdog: at least 1 ms", socket: "/n", usec: "1", expected: ServiceNotify(socket: "/n", watchdogPingMilliseconds: 1)),
        Row(name: "zero watchdog is off", socket: "/n", usec: "0", expected: ServiceNotify(socket: "/n")),
        Row(name: "negative watchdog is off", socket: "/n", usec: "-5", expected: ServiceNotify(socket: "/n")),
        Row(name: "garbage watchdog is off", socket: "/n", usec: "2min", expected: ServiceNotify(socket: "/n")),
    ]

    @Test(arguments: rows)
    func fromEnvironment(_ row: Row) {
        #expect(ServiceNotify.from(notifySocket: row.socket, watchdogUsec: row.usec, watchdogPid: row.pid, pid: 4242) == row.expected)
    }
}
