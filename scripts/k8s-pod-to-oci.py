#!/usr/bin/python3
"""The DaemonSet's pod spec, read from the rendered manifests (kubectl
kustomize deploy/kubernetes), checked and turned into what a kubelet would
hand its container runtime.

  k8s-pod-to-oci.py check RENDERED.yaml
      The least-privilege fields and the config-to-mount consistency, one
      "ok:"/"FAIL:" line each; exit 1 if any failed.
  k8s-pod-to-oci.py bundle RENDERED.yaml --image-config CONFIG.json
          --bundle DIR [--host-path HOST=REPLACEMENT]... [--set KEY=VALUE]...
          [--cgroups-path /mon_memcg-test-...]
      Writes DIR/config.json (an OCI runtime bundle for runc, DIR/rootfs
      being the unpacked image), DIR/probe.json (the liveness probe as the
      process `runc exec --process` runs, which is how containerd runs an
      exec probe), and the ConfigMap's files in kubelet's layout. Prints what
      it derived. --host-path points a hostPath elsewhere (a test's own state
      directory); --set changes a key of the ConfigMap's mon_memcg.conf (a
      test's target and thresholds), and both are printed.

Nothing here is written by hand beside the YAML: command, args, env, user,
capabilities, no_new_privs, read-only root, mounts, memory limit and OOM
score all come from the manifest, so the bundle cannot drift from it.
"""
import argparse
import copy
import json
import os
import sys
import time

import yaml

CONTAINER = "mon-memcg"


def load(path):
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
    return by_kind


def one(by_kind, kind):
    items = by_kind.get(kind, [])
    if len(items) != 1:
        sys.exit(f"k8s-pod-to-oci: expected one {kind}, found {len(items)}")
    return items[0]


def parse_conf(text):
    conf = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        conf[key.strip()] = value.strip()
    return conf


def container_of(ds):
    for c in ds["spec"]["template"]["spec"]["containers"]:
        if c["name"] == CONTAINER:
            return c
    sys.exit(f"k8s-pod-to-oci: no container {CONTAINER} in the DaemonSet")


def config_path(container):
    args = container.get("args", [])
    if "--config" not in args:
        sys.exit("k8s-pod-to-oci: the container's args have no --config")
    return args[args.index("--config") + 1]


def mount_for(container, pod, path):
    """The volumeMount and volume that hold `path` (the longest mountPath)."""
    best = None
    for m in container.get("volumeMounts", []):
        mp = m["mountPath"].rstrip("/")
        if path == mp or path.startswith(mp + "/"):
            if best is None or len(mp) > len(best["mountPath"]):
                best = m
    if best is None:
        return None, None
    vol = next(v for v in pod["volumes"] if v["name"] == best["name"])
    return best, vol


def memory_bytes(text):
    units = {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "K": 10**3, "M": 10**6, "G": 10**9}
    for suffix, mult in units.items():
        if text.endswith(suffix):
            return int(text[: -len(suffix)]) * mult
    return int(text)


def millicpu(text):
    return int(text[:-1]) if text.endswith("m") else int(float(text) * 1000)


# --- check ---------------------------------------------------------------

def check(by_kind):
    results = []

    def expect(name, condition, why):
        results.append((name, bool(condition), why))

    ds = one(by_kind, "DaemonSet")
    sa = one(by_kind, "ServiceAccount")
    cm = one(by_kind, "ConfigMap")
    pod = ds["spec"]["template"]["spec"]
    c = container_of(ds)
    sc = c.get("securityContext", {})
    caps = sc.get("capabilities", {})

    expect("not privileged", sc.get("privileged") is False, f"privileged is {sc.get('privileged')!r}")
    expect("allowPrivilegeEscalation: false", sc.get("allowPrivilegeEscalation") is False,
           f"allowPrivilegeEscalation is {sc.get('allowPrivilegeEscalation')!r}")
    expect("capabilities drop ALL, add none", caps.get("drop") == ["ALL"] and not caps.get("add"),
           f"capabilities are {caps!r}")
    expect("readOnlyRootFilesystem: true", sc.get("readOnlyRootFilesystem") is True,
           f"readOnlyRootFilesystem is {sc.get('readOnlyRootFilesystem')!r}")
    seccomp = sc.get("seccompProfile") or pod.get("securityContext", {}).get("seccompProfile") or {}
    expect("seccompProfile RuntimeDefault", seccomp.get("type") == "RuntimeDefault", f"seccompProfile is {seccomp!r}")
    expect("no procMount: Unmasked", sc.get("procMount", "Default") == "Default", f"procMount is {sc.get('procMount')!r}")
    expect("no host network, PID or IPC namespace",
           not pod.get("hostNetwork") and not pod.get("hostPID") and not pod.get("hostIPC"),
           "hostNetwork, hostPID or hostIPC is set")
    expect("no service account token",
           sa.get("automountServiceAccountToken") is False and pod.get("automountServiceAccountToken") is False,
           "automountServiceAccountToken must be false on the ServiceAccount and the pod")
    expect("priorityClassName: system-node-critical", pod.get("priorityClassName") == "system-node-critical",
           f"priorityClassName is {pod.get('priorityClassName')!r}")
    expect("tolerates every taint", {"operator": "Exists"} in pod.get("tolerations", []),
           "no toleration with operator: Exists and no key")
    expect("one container, no init or sidecar containers",
           len(pod["containers"]) == 1 and not pod.get("initContainers"), "more containers than mon_memcg watch")

    allowed = {
        "cgroup": False,  # read-write: memory.force_empty, cgroup.event_control
        "proc": True,     # read-only
        "state": False,
        "textfile": False,
    }
    host_mounts = {}
    for m in c.get("volumeMounts", []):
        vol = next(v for v in pod["volumes"] if v["name"] == m["name"])
        if "hostPath" in vol:
            host_mounts[m["name"]] = bool(m.get("readOnly"))
    expect("hostPath volumes: cgroup (rw), proc (ro), state, textfile; nothing else",
           host_mounts == allowed, f"hostPath mounts (name: readOnly) are {host_mounts!r}")
    expect("no mount propagation from or to the host",
           all(m.get("mountPropagation", "None") == "None" for m in c.get("volumeMounts", [])),
           "a volumeMount sets mountPropagation")

    conf_name = os.path.basename(config_path(c))
    conf_text = cm["data"].get(conf_name)
    expect(f"the ConfigMap holds {conf_name}", conf_text is not None, f"no key {conf_name} in the ConfigMap")
    conf = parse_conf(conf_text or "")

    def mounted(key, volume, read_only):
        value = conf.get(key)
        m, v = mount_for(c, pod, value) if value else (None, None)
        ok = m is not None and m["name"] == volume and bool(m.get("readOnly")) == read_only
        expect(f"{key} ({value}) is inside the {volume} mount ({'ro' if read_only else 'rw'})", ok,
               f"{key} = {value} is not on the {volume} volume with readOnly {read_only}")

    mounted("cgroup_root", "cgroup", False)
    mounted("proc_root", "proc", True)
    mounted("state_file", "state", False)
    mounted("metrics_file", "textfile", False)
    expect("log_file = - (kubectl logs)", conf.get("log_file") == "-", f"log_file is {conf.get('log_file')!r}")
    expect("dying_reclaim = off (drop_caches and the reaper are out of reach)", conf.get("dying_reclaim") == "off",
           f"dying_reclaim is {conf.get('dying_reclaim')!r}: /proc is read-only and /sys is not mounted")

    probe = c.get("livenessProbe", {}).get("exec", {}).get("command", [])
    expect("liveness probe runs mon_memcg alive with the same config and a --max-age",
           len(probe) > 1 and probe[1] == "alive" and "--max-age" in probe
           and probe[probe.index("--config") + 1 if "--config" in probe else 0] == config_path(c),
           f"livenessProbe.exec.command is {probe!r}")
    grace = pod.get("terminationGracePeriodSeconds", 30)
    expect("terminationGracePeriodSeconds >= 30 (an interrupted reclaim plus a state fsync)", grace >= 30,
           f"terminationGracePeriodSeconds is {grace}")
    limits = c.get("resources", {}).get("limits", {})
    requests = c.get("resources", {}).get("requests", {})
    expect("memory request and limit set, no CPU limit",
           "memory" in limits and "memory" in requests and "cpu" not in limits,
           f"resources are {c.get('resources')!r}")
    return results


# --- bundle --------------------------------------------------------------

# What containerd gives a container that is not privileged (its
# oci.WithDefaultSpec and CRI's masked and read-only paths).
MASKED = ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
          "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap"]
READONLY = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
# RuntimeDefault is the runtime's own profile. This stands in for it with the
# calls Docker documents its default profile as blocking for a container
# without capabilities: a daemon that needs one of them fails here as it
# would on a node.
BLOCKED = ["acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module", "delete_module",
           "finit_module", "get_kernel_syms", "get_mempolicy", "init_module", "ioperm", "iopl", "kcmp",
           "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie", "mbind", "mount", "move_pages",
           "name_to_handle_at", "nfsservctl", "open_by_handle_at", "perf_event_open", "pivot_root",
           "process_vm_readv", "process_vm_writev", "ptrace", "query_module", "quotactl", "reboot",
           "request_key", "set_mempolicy", "setns", "settimeofday", "swapon", "swapoff", "sysfs", "_sysctl",
           "umount2", "unshare", "uselib", "userfaultfd", "ustat"]
# And clone3, which Docker's and containerd's profiles answer with ENOSYS
# for a container without CAP_SYS_ADMIN (moby#42681, containerd#5982), so
# that glibc falls back to clone: watch --supervise starts its daemon with
# posix_spawn, which tries clone3 first.
ENOSYS = ["clone3"]
ALL_CAPS = []  # with drop: [ALL] and nothing added, every set is empty


def configmap_volume(bundle, name, cm, mode):
    """kubelet's atomic writer: files are symlinks through ..data to a
    timestamped directory, which is what mon_memcg's ownership check sees."""
    root = os.path.join(bundle, "volumes", name)
    stamp = "..%s" % time.strftime("%Y_%m_%d_%H_%M_%S.000000001", time.gmtime())
    os.makedirs(os.path.join(root, stamp))
    for key, text in cm["data"].items():
        path = os.path.join(root, stamp, key)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        os.symlink(os.path.join("..data", key), os.path.join(root, key))
    os.symlink(stamp, os.path.join(root, "..data"))
    os.chmod(os.path.join(root, stamp), 0o755)
    os.chmod(root, 0o755)
    return root


def bundle(by_kind, image_config, out, host_paths, overrides, cgroups_path, no_oom_score=None):
    ds = one(by_kind, "DaemonSet")
    cm = copy.deepcopy(one(by_kind, "ConfigMap"))
    pod = ds["spec"]["template"]["spec"]
    c = container_of(ds)
    sc = c.get("securityContext", {})
    img = image_config.get("config", {})
    derived = []

    conf_name = os.path.basename(config_path(c))
    if overrides:
        lines = cm["data"][conf_name].splitlines()
        for key, value in overrides:
            lines = [ln for ln in lines if ln.split("=", 1)[0].strip() != key]
            lines.append(f"{key} = {value}")
            derived.append(f"test override in {conf_name}: {key} = {value}")
        cm["data"][conf_name] = "\n".join(lines) + "\n"

    # Kubernetes: command replaces the image's ENTRYPOINT, args its CMD.
    args = c.get("command") or img.get("Entrypoint") or []
    args = args + (c.get("args") if "args" in c else ([] if "command" in c else img.get("Cmd") or []))
    env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=mon-memcg-runc-test"]
    env += [e for e in img.get("Env", []) if not e.startswith("PATH=")]
    env += [f"{e['name']}={e['value']}" for e in c.get("env", [])]
    image_user = (img.get("User") or "0:0").split(":")
    uid = sc.get("runAsUser", int(image_user[0]))
    gid = sc.get("runAsGroup", int(image_user[1]) if len(image_user) > 1 else 0)
    caps = sc.get("capabilities", {})
    if caps.get("drop") != ["ALL"] or caps.get("add"):
        sys.exit("k8s-pod-to-oci: only drop: [ALL] with nothing added is mapped (that is what the DaemonSet asks)")

    process = {
        "terminal": False,
        "user": {"uid": uid, "gid": gid},
        "args": args,
        "env": env,
        "cwd": img.get("WorkingDir") or "/",
        "capabilities": {k: list(ALL_CAPS) for k in ("bounding", "effective", "inheritable", "permitted", "ambient")},
        "noNewPrivileges": sc.get("allowPrivilegeEscalation") is False,
        # kubelet: a node-critical pod gets the guaranteed pods' score.
        "oomScoreAdj": -997 if pod.get("priorityClassName") in ("system-node-critical", "system-cluster-critical") else 0,
    }
    mounts = [
        {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
        {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
    ]
    for m in c.get("volumeMounts", []):
        vol = next(v for v in pod["volumes"] if v["name"] == m["name"])
        ro = bool(m.get("readOnly"))
        if "hostPath" in vol:
            source = host_paths.get(vol["hostPath"]["path"], vol["hostPath"]["path"])
            kind = vol["hostPath"].get("type", "")
            if kind == "DirectoryOrCreate":
                os.makedirs(source, mode=0o755, exist_ok=True)
            elif kind == "Directory" and not os.path.isdir(source):
                sys.exit(f"k8s-pod-to-oci: hostPath {source} (type Directory) does not exist")
            note = "" if source == vol["hostPath"]["path"] else f" (test: {vol['hostPath']['path']} -> {source})"
        elif "configMap" in vol:
            if vol["configMap"]["name"] != cm["metadata"]["name"]:
                sys.exit(f"k8s-pod-to-oci: volume {vol['name']} names ConfigMap {vol['configMap']['name']}, not in the manifests")
            source = configmap_volume(out, vol["name"], cm, vol["configMap"].get("defaultMode", 0o644))
            note = f" (ConfigMap {cm['metadata']['name']})"
        else:
            sys.exit(f"k8s-pod-to-oci: volume {vol['name']}: only hostPath and configMap are mapped")
        mounts.append({"destination": m["mountPath"], "type": "bind", "source": os.path.abspath(source),
                       "options": ["rbind", "rprivate"] + (["ro"] if ro else [])})
        derived.append(f"mount {m['mountPath']} <- {source} {'ro' if ro else 'rw'}{note}")

    resources = {"devices": [{"allow": False, "access": "rwm"}]}
    res = c.get("resources", {})
    if "memory" in res.get("limits", {}):
        resources["memory"] = {"limit": memory_bytes(res["limits"]["memory"])}
    if "cpu" in res.get("requests", {}):
        resources["cpu"] = {"shares": max(2, millicpu(res["requests"]["cpu"]) * 1024 // 1000)}

    seccomp_type = (sc.get("seccompProfile") or {}).get("type")
    linux = {
        "namespaces": [{"type": t} for t in ("pid", "ipc", "uts", "mount", "network")],
        "maskedPaths": MASKED,
        "readonlyPaths": READONLY,
        "resources": resources,
        "rootfsPropagation": "private",
    }
    if cgroups_path:
        linux["cgroupsPath"] = cgroups_path
    if seccomp_type == "RuntimeDefault":
        linux["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
                            "syscalls": [{"names": BLOCKED, "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
                                         {"names": ENOSYS, "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}
    elif seccomp_type != "Unconfined":
        sys.exit(f"k8s-pod-to-oci: seccompProfile {seccomp_type!r} is not mapped")

    spec = {
        "ociVersion": "1.0.2",
        "process": process,
        "root": {"path": "rootfs", "readonly": sc.get("readOnlyRootFilesystem") is True},
        "hostname": "mon-memcg-runc-test",
        "mounts": mounts,
        "linux": linux,
    }
    if no_oom_score and process["oomScoreAdj"] < 0:
        derived.append(f"oomScoreAdj {process['oomScoreAdj']} left out: {no_oom_score}")
        del process["oomScoreAdj"]
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(spec, f, indent=2)
    probe = c.get("livenessProbe", {}).get("exec", {}).get("command")
    if probe:
        p = copy.deepcopy(process)
        p["args"] = probe
        with open(os.path.join(out, "probe.json"), "w") as f:
            json.dump(p, f, indent=2)

    print(f"derived from DaemonSet {ds['metadata']['name']}, container {c['name']}:")
    print(f"  args: {json.dumps(args)}")
    print(f"  user: {uid}:{gid}, capabilities: none, noNewPrivileges: {process['noNewPrivileges']},"
          f" read-only root: {spec['root']['readonly']}, oomScoreAdj: {process.get('oomScoreAdj', 'not set')}")
    print(f"  seccomp: {seccomp_type} ({len(BLOCKED)} calls refused with EPERM, {', '.join(ENOSYS)} with ENOSYS), cgroup: {cgroups_path or 'runc default'},"
          f" memory limit: {resources.get('memory', {}).get('limit')}, cpu shares: {resources.get('cpu', {}).get('shares')}")
    for line in derived:
        print(f"  {line}")
    if probe:
        print(f"  liveness probe: {json.dumps(probe)} every {c['livenessProbe'].get('periodSeconds', 10)} s,"
              f" timeout {c['livenessProbe'].get('timeoutSeconds', 1)} s")
    print(f"  terminationGracePeriodSeconds: {pod.get('terminationGracePeriodSeconds', 30)}")
    print(f"  {conf_name} as the container sees it:")
    for line in cm["data"][conf_name].splitlines():
        if line.strip() and not line.startswith("#"):
            print(f"    {line}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check")
    c.add_argument("manifests")
    b = sub.add_parser("bundle")
    b.add_argument("manifests")
    b.add_argument("--image-config", required=True)
    b.add_argument("--bundle", required=True)
    b.add_argument("--host-path", action="append", default=[])
    b.add_argument("--set", action="append", default=[])
    b.add_argument("--cgroups-path")
    b.add_argument("--no-oom-score-adj", metavar="REASON",
                   help="leave a negative oomScoreAdj out (lowering it needs CAP_SYS_RESOURCE, which this host may lack)")
    a = ap.parse_args()
    by_kind = load(a.manifests)
    if a.cmd == "check":
        failed = 0
        for name, ok, why in check(by_kind):
            print(f"ok: {name}" if ok else f"FAIL: {name}: {why}")
            failed += not ok
        sys.exit(1 if failed else 0)
    with open(a.image_config) as f:
        image_config = json.load(f)
    host_paths = dict(x.split("=", 1) for x in a.host_path)
    overrides = [tuple(x.split("=", 1)) for x in a.set]
    bundle(by_kind, image_config, a.bundle, host_paths, overrides, a.cgroups_path, a.no_oom_score_adj)


if __name__ == "__main__":
    main()
