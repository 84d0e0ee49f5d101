import Testing
import TestSupport
@testable import MemcgCore

/// What `Config.set` accepts and refuses for each setting whose values are
/// more than a size or a path (the descriptor's syntax, as the file and the
/// options reach it): one table, a row per value, the setting named first.
@Test("each setting's values are validated in Config.set", arguments: [
    ConfigRow(name: "reclaim_amount auto", key: .reclaimAmount, value: "auto", check: { $0.reclaimAmount == .auto }),
    ConfigRow(name: "reclaim_amount all", key: .reclaimAmount, value: "all", check: { $0.reclaimAmount == .all }),
    ConfigRow(name: "reclaim_amount deficit, blanks around", key: .reclaimAmount, value: " deficit ", check: { $0.reclaimAmount == .deficit }),
    ConfigRow(name: "hostile: reclaim_amount DEFICIT", key: .reclaimAmount, value: "DEFICIT", check: nil),
    ConfigRow(name: "hostile: reclaim_amount a size", key: .reclaimAmount, value: "1G", check: nil),
    ConfigRow(name: "hostile: reclaim_amount empty", key: .reclaimAmount, value: "", check: nil),
    ConfigRow(name: "hostile: reclaim_amount two modes", key: .reclaimAmount, value: "all,deficit", check: nil),
    ConfigRow(name: "reclaim_margin 64M", key: .reclaimMargin, value: "64M", check: { $0.reclaimMargin == .mib(64) }),
    ConfigRow(name: "reclaim_margin 0", key: .reclaimMargin, value: "0", check: { $0.reclaimMargin == .zero }),
    ConfigRow(name: "reclaim_margin in bytes", key: .reclaimMargin, value: "1048576", check: { $0.reclaimMargin == .mib(1) }),
    ConfigRow(name: "hostile: reclaim_margin negative", key: .reclaimMargin, value: "-1M", check: nil),
    ConfigRow(name: "hostile: reclaim_margin with an unknown unit", key: .reclaimMargin, value: "1X", check: nil),
    ConfigRow(name: "hostile: reclaim_margin deficit", key: .reclaimMargin, value: "deficit", check: nil),
    ConfigRow(name: "dying_reclaim auto", key: .dyingReclaim, value: "auto", check: { $0.dyingReclaim == .auto }),
    ConfigRow(name: "dying_reclaim reaper", key: .dyingReclaim, value: "reaper", check: { $0.dyingReclaim == .reaper }),
    ConfigRow(name: "dying_reclaim drop_caches", key: .dyingReclaim, value: " drop_caches ", check: { $0.dyingReclaim == .dropCaches }),
    ConfigRow(name: "dying_reclaim off", key: .dyingReclaim, value: "off", check: { $0.dyingReclaim == .off }),
    ConfigRow(name: "hostile: dying_reclaim AUTO", key: .dyingReclaim, value: "AUTO", check: nil),
    ConfigRow(name: "hostile: dying_reclaim drop-caches", key: .dyingReclaim, value: "drop-caches", check: nil),
    ConfigRow(name: "hostile: dying_reclaim empty mode", key: .dyingReclaim, value: "", check: nil),
    ConfigRow(name: "hostile: dying_reclaim two modes", key: .dyingReclaim, value: "reaper,drop_caches", check: nil),
    ConfigRow(name: "drop_caches_interval 10m", key: .dropCachesInterval, value: "10m", check: { $0.dropCachesIntervalSeconds == 600 }),
    ConfigRow(name: "drop_caches_interval 10s is the minimum", key: .dropCachesInterval, value: "10s", check: { $0.dropCachesIntervalSeconds == 10 }),
    ConfigRow(name: "drop_caches_interval plain seconds", key: .dropCachesInterval, value: "3600", check: { $0.dropCachesIntervalSeconds == 3600 }),
    ConfigRow(name: "hostile: drop_caches_interval 9s", key: .dropCachesInterval, value: "9s", check: nil),
    ConfigRow(name: "hostile: drop_caches_interval 0", key: .dropCachesInterval, value: "0", check: nil),
    ConfigRow(name: "hostile: drop_caches_interval -1m", key: .dropCachesInterval, value: "-1m", check: nil),
    ConfigRow(name: "hostile: drop_caches_interval 1d (unknown unit)", key: .dropCachesInterval, value: "1d", check: nil),
    ConfigRow(name: "hostile: drop_caches_interval overflow", key: .dropCachesInterval, value: "99999999999999999m", check: nil),
    ConfigRow(name: "sys_root with a trailing slash", key: .sysRoot, value: "/tmp/fake/sys/", check: { $0.sysRoot == "/tmp/fake/sys" }),
    ConfigRow(name: "hostile: sys_root relative", key: .sysRoot, value: "sys", check: nil),
])
func settingValue(row: ConfigRow) { row.expectSet() }
