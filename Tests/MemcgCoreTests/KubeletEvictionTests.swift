import Testing
import TestSupport
@testable import MemcgCore

struct KubernetesQuantityTests {
    struct Row: NamedRow {
        var text: String
        var bytes: Int64?
        var name: String { text.isEmpty ? "(empty)" : text }
    }

    static let rows: [Row] = [
        Row(text: "100Mi", bytes: 100 << 20),
        Row(text: "4Gi", bytes: 4 << 30),
        Row(text: "1Ki", bytes: 1024),
        Row(text: "1Ti", bytes: 1 << 40),
        Row(text: "1G", bytes: 1_000_000_000),
        Row(text: "1k", bytes: 1000),
        Row(text: "500M", bytes: 500_000_000),
        Row(text: "128974848", bytes: 128_974_848),
        Row(text: "129e6", bytes: 129_000_000),
        Row(text: "129E6", bytes: 129_000_000),
        Row(text: "1.5Gi", bytes: 1_610_612_736),
        Row(text: "0.5Ki", bytes: 512),
        Row(text: "1.0001Ki", bytes: 1025),  // 1024.1024 rounded up, as Quantity.Value() does
        Row(text: ".5Mi", bytes: 524_288),
        Row(text: "+2Mi", bytes: 2 << 20),
        Row(text: "  3Mi ", bytes: 3 << 20),
        Row(text: "1E", bytes: 1_000_000_000_000_000_000),
        Row(text: "", bytes: nil),
        Row(text: "-100Mi", bytes: nil),
        Row(text: "100MiB", bytes: nil),
        Row(text: "100K", bytes: nil),
        Row(text: "1.2.3Mi", bytes: nil),
        Row(text: "Mi", bytes: nil),
        Row(text: ".Mi", bytes: nil),
        Row(text: "8Ei", bytes: nil),  // 2^63: past Int64
        Row(text: "1e19", bytes: nil),
        Row(text: "1e", bytes: nil),
        Row(text: "ten", bytes: nil),
    ]

    @Test("Kubernetes quantities, as kubelet reads them", arguments: rows)
    func quantity(_ row: Row) {
        let parsed = try? KubernetesQuantity.parseBytes(row.text)
        #expect(parsed?.value == row.bytes)
    }
}

struct KubeletEvictionTests {
    struct Row: NamedRow {
        var name, text: String
        var hard: EvictionThreshold?
        var hardSource: String
        var soft: EvictionThreshold? = nil
    }

    static let rows: [Row] = [
        Row(name: "kubeadm's file, no evictionHard: kubelet's default", text: """
            apiVersion: kubelet.config.k8s.io/v1beta1
            kind: KubeletConfiguration
            authentication:
              anonymous:
                enabled: false
            clusterDNS:
            - 10.96.0.10
            cgroupDriver: systemd
            """, hard: .quantity(.mib(100)), hardSource: "kubelet's default"),
        Row(name: "block mapping, quoted", text: """
            kind: KubeletConfiguration
            evictionHard:
              memory.available: "500Mi"   # a comment
              nodefs.available: "10%"
            evictionSoft:
              memory.available: '1Gi'
            """, hard: .quantity(.mib(500)), hardSource: "evictionHard memory.available", soft: .quantity(.gib(1))),
        Row(name: "percentage", text: "evictionHard:\n  memory.available: 5%\n", hard: .percentage(basisPoints: 500), hardSource: "evictionHard"),
        Row(name: "fractional percentage", text: "evictionHard:\n  memory.available: 7.5%\n", hard: .percentage(basisPoints: 750), hardSource: "evictionHard"),
        Row(name: "flow mapping on the key's line", text: "evictionHard: {memory.available: 200Mi, nodefs.available: 10%}\n",
            hard: .quantity(.mib(200)), hardSource: "evictionHard"),
        Row(name: "CRLF line ends", text: "evictionHard:\r\n  memory.available: 300Mi\r\n", hard: .quantity(.mib(300)), hardSource: "evictionHard"),
        Row(name: "other signals only: kubelet sets memory.available to 0", text: "evictionHard:\n  nodefs.available: 10%\n",
            hard: nil, hardSource: "none"),
        Row(name: "other signals only, defaults merged", text: "mergeDefaultEvictionSettings: true\nevictionHard:\n  nodefs.available: 10%\n",
            hard: .quantity(.mib(100)), hardSource: "merged"),
        Row(name: "JSON", text: """
            {"kind": "KubeletConfiguration", "authentication": {"x509": {"clientCAFile": "/etc/k/ca.crt"}},
             "evictionHard": {"memory.available": "250Mi", "nodefs.available": "10%"},
             "evictionSoft": {"memory.available": "1.5Gi"}, "clusterDNS": ["10.96.0.10"]}
            """, hard: .quantity(.mib(250)), hardSource: "evictionHard", soft: .quantity(Bytes(1_610_612_736))),
        Row(name: "a '#' inside quotes is not a comment", text: "evictionHard:\n  \"memory.available\": \"100Mi\" # x#y\n",
            hard: .quantity(.mib(100)), hardSource: "evictionHard"),
        Row(name: "empty file", text: "", hard: .quantity(.mib(100)), hardSource: "kubelet's default"),
    ]

    @Test("memory.available thresholds from a kubelet configuration", arguments: rows)
    func reads(_ row: Row) throws {
        let e = try KubeletEviction(parsing: row.text)
        #expect(e.hard == row.hard)
        #expect(e.hardSource.contains(row.hardSource), "source: \(e.hardSource)")
        #expect(e.soft == row.soft)
    }

    @Test("a percentage is of MemTotal, truncated as kubelet does")
    func percentageBytes() {
        #expect(EvictionThreshold.percentage(basisPoints: 500).bytes(memTotal: Bytes(25_276_203_008)) == Bytes(1_263_810_150))
        #expect(EvictionThreshold.percentage(basisPoints: 750).description == "7.50%")
        #expect(EvictionThreshold.percentage(basisPoints: 705).description == "7.05%")
        #expect(EvictionThreshold.percentage(basisPoints: 1000).description == "10%")
        #expect(EvictionThreshold.quantity(.mib(100)).bytes(memTotal: .gib(8)) == .mib(100))
    }
}
