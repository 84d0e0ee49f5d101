/// The names this project uses for where it came from, defined once.
///
/// **The original design** is the document mon_memcg was built from: a
/// shell script run by a systemd timer every 20 s that writes
/// `memory.force_empty` on `user.slice` when kubelet's available memory is
/// short. Its script is **the original script**. "Exact to the original"
/// means: the same decisions, the same log lines word for word, the same
/// units and timings. Code and docs use these two names and no others.
public enum TheOriginal {
    public static let design = "the original design"
    /// As `mon_memcg check --help` names it.
    public static let script = "the original script"
}
