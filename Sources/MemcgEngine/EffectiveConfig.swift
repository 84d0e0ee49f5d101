import MemcgCore

/// What `mon_memcg config` prints: every key with the value in force, in
/// the file's own syntax, so the output can be saved as a file.
public enum EffectiveConfig {
    public static func text(_ config: Config) -> String {
        ConfigKey.allCases.map { key in
            if key == .cgroupRoot, !config.cgroupRootIsSet {
                return "# cgroup_root is unset: the memory controller is found in \(config.procRoot)/self/mountinfo\n"
            }
            return "\(key.rawValue) = \(config.text(for: key))\n"
        }.joined()
    }
}
