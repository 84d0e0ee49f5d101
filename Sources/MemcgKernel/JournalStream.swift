#if canImport(Glibc)
import Glibc
#endif
import MemcgCore

/// Whether fd 1 or 2 is connected to the journal: `JOURNAL_STREAM`'s device
/// and inode equal fstat()'s of that descriptor. The variable alone is not
/// enough: a child of a service inherits it with its output redirected
/// (`mon_memcg status > file` in an ExecStartPre=, say).
public enum JournalStream {
    public static func isJournal(fd: Int32, variable: String? = CurrentProcess.environment("JOURNAL_STREAM")) -> Bool {
        guard let variable, let id = JournalStreamID(variable: variable) else { return false }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return false }
        return UInt64(st.st_dev) == id.device && UInt64(st.st_ino) == id.inode
    }
}
