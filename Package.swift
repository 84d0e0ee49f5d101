// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "mon_memcg",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "mon_memcg", targets: ["mon_memcg"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
    ],
    targets: [
        // Pure policy: parsing text, Bytes, the kubelet formula, the original
        // script's decision, configuration, every log line. No file I/O, no clock.
        .target(name: "MemcgCore"),
        // The only code that touches /proc, cgroupfs, the state, lock and log files.
        .target(name: "MemcgKernel", dependencies: ["MemcgCore", "CMemcgShims"]),
        // gettid(2) and friends, which Swift cannot call directly.
        .target(name: "CMemcgShims"),
        // The application: one check run, the dying-cgroup escalation, the
        // watch loop, status gathering, the event log. Driven in-process by tests.
        .target(name: "MemcgEngine", dependencies: ["MemcgCore", "MemcgKernel"]),
        // Thin executable: main and one small adapter per subcommand.
        .executableTarget(
            name: "mon_memcg",
            dependencies: [
                "MemcgEngine", "MemcgCore", "MemcgKernel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Fixture trees, the built binary, and the real-kernel lab, for tests only.
        .target(name: "TestSupport", dependencies: ["MemcgKernel", "MemcgCore"], path: "Tests/TestSupport"),
        .testTarget(name: "MemcgCoreTests", dependencies: ["MemcgCore", "TestSupport"]),
        .testTarget(name: "MemcgKernelTests", dependencies: ["MemcgKernel", "MemcgCore", "TestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "MemcgEngineTests", dependencies: ["MemcgEngine", "MemcgKernel", "MemcgCore", "TestSupport"]),
        // Runs the built binary end to end against fixture trees and the real kernel.
        .testTarget(name: "CLITests", dependencies: ["mon_memcg", "MemcgEngine", "MemcgCore", "TestSupport"]),
    ]
)
