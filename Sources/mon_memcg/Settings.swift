#if canImport(Glibc)
import Glibc
#endif
import MemcgCore
import MemcgKernel

/// Builds the effective configuration: defaults, then the file, then the
/// command line.
enum Settings {
    static func load(_ request: SettingsRequest) throws(Failure) -> Config {
        var config = Config()
        let explicit = request.configPath != nil
        let path = request.configPath ?? Config.defaultPath
        do {
            if let text = try readConfigFile(path, required: explicit) {
                try ConfigFile.parse(text, into: &config)
            }
        } catch let error as ParseError {
            throw Failure(status: .configError, message: "\(path): \(error)")
        } catch let error as Failure {
            throw error
        } catch {
            throw Failure(status: .internalError, message: "\(path): \(error)")
        }
        for override in request.overrides {
            do {
                try config.set(override.key, to: override.value)
            } catch {
                throw Failure(status: .configError, message: "\(override.option): \(error.reason)")
            }
        }
        return config
    }

    /// The file decides which cgroup gets emptied, so like sshd's
    /// StrictModes it must belong to root (or to the user running the tool)
    /// and must not be writable by group or others.
    static func readConfigFile(_ path: String, required: Bool) throws -> String? {
        var st = stat()
        if lstat(path, &st) != 0 {
            let e = lastError()
            if e == ENOENT && !required { return nil }
            throw Failure(status: .configError, message: SystemError("read config file", path, errno: e,
                fix: e == ENOENT ? "create it or drop --config to use the defaults" : nil).description)
        }
        if (st.st_mode & S_IFMT) == S_IFLNK {
            // Follow it, but judge the file it points to.
            guard stat(path, &st) == 0 else {
                throw Failure(status: .configError, message: SystemError("read config file", path, errno: lastError()).description)
            }
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw Failure(status: .configError, message: "config file \(path) is not a regular file")
        }
        let euid = geteuid()
        guard st.st_uid == 0 || st.st_uid == euid else {
            throw Failure(status: .configError, message: "config file \(path) is owned by uid \(st.st_uid), not root: refusing it (it decides which cgroup gets emptied; fix: chown root:root \(path))")
        }
        guard st.st_mode & 0o022 == 0 else {
            throw Failure(status: .configError, message: "config file \(path) is writable by group or others (mode \(String(st.st_mode & 0o7777, radix: 8))): refusing it (fix: chmod go-w \(path))")
        }
        do {
            return try FileIO.read(path, limit: 64 * 1024)
        } catch {
            throw Failure(status: .configError, message: error.description)
        }
    }

    private static func lastError() -> Int32 { errno }
}
