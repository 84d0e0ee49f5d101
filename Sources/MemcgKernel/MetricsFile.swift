/// The Prometheus text file for node_exporter's textfile collector: a
/// scrape sees the old file or the new one, never a half-written one.
public enum MetricsFile {
    public static func write(_ text: String, to path: String) throws(SystemError) {
        try AtomicFile.replace(path, with: text, options: .published(
            missingDirectoryFix: "create the directory \(FileIO.directoryName(of: path)) or set metrics_file"))
    }
}
