#!/usr/bin/env bash
# CI: the Kubernetes deployment (deploy/kubernetes, deploy/image,
# docs/kubernetes.md).
#  1. The manifests: yamllint (strict), kustomize builds of both variants
#     (cgroup v1, cgroup-v2/), validation against Kubernetes 1.37's schemas
#     with unknown fields as errors (PyPI's kubernetes-validate --strict, in a
#     venv made here), and the least-privilege fields asserted
#     (scripts/k8s-pod-to-oci.py check), also on loosened copies, which must
#     fail.
#  2. The image, built without a container engine (scripts/build-image.sh:
#     umoci, skopeo): labels, entry point, only the binary and its licence;
#     and deploy/image/Containerfile built by buildah (no daemon) into the
#     same files and config.
#  3. runc runs that image with the DaemonSet's own settings: the bundle is
#     generated from the rendered YAML (scripts/k8s-pod-to-oci.py bundle).
#     Inside, mon_memcg watch with the ConfigMap's configuration, pointed at
#     a mon_memcg-test-* cgroup, sees memory turn short on the real kernel
#     and empties that cgroup; the liveness probe passes while it runs, fails
#     once the daemon is frozen past --max-age, passes again after; SIGTERM
#     ends it with status 0 within terminationGracePeriodSeconds; the
#     daemon runs under watch --supervise (PID 1), and in a second run, with
#     memory_limit = on and the lever set, a SIGKILL of the daemon: PID 1
#     puts the limit back and ends the container with 137. Needs root
#     and a writable cgroup v1 memory controller (skipped, saying so,
#     without them). About 2 minutes, most of it waiting out --max-age.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="/opt/swift/usr/bin:$PATH"
. scripts/lib/runc-container.sh  # container_exit, supervisor_started, daemon_of, supervised_kill, supervised_restore_logged

step=$(basename "$0" .sh)  # the name .ci/run reads the summary line by
passed=0
failed=0
skipped=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
skip() { echo "SKIP: $*"; skipped=$((skipped + 1)); }
summary() { echo "$step: $passed passed, $failed failed, $skipped skipped"; }
finish() {
    summary
    [ "$failed" -eq 0 ] && exit 0 || exit 1
}
# Counts the ok:/FAIL: lines another tool printed.
tally() {
    local out=$1
    echo "$out"
    passed=$((passed + $(grep -c '^ok: ' <<< "$out" || true)))
    failed=$((failed + $(grep -c '^FAIL: ' <<< "$out" || true)))
    if grep -q '^Traceback' <<< "$out"; then fail "a check crashed (above)"; fi
}

memcg=/sys/fs/cgroup/memory
work=$(mktemp -d "${TMPDIR:-/tmp}/mon_memcg-ci-k8s.XXXXXX")
id=mon_memcg-test-k8s-$$
target=$memcg/mon_memcg-test-k8s-$$-target
hog=$memcg/mon_memcg-test-k8s-$$-anon
hog_pid=
runc_pid=
cleanup() {
    set +e
    if [ -n "$runc_pid" ]; then
        runc kill "$id" KILL > /dev/null 2>&1
        kill -CONT "$(runc_pid_of)" > /dev/null 2>&1
        wait "$runc_pid" 2> /dev/null
    fi
    runc delete -f "$id" > /dev/null 2>&1
    [ -n "$hog_pid" ] && kill "$hog_pid" 2> /dev/null && wait "$hog_pid" 2> /dev/null
    for cg in "$target" "$hog"; do
        if [ -d "$cg" ]; then
            echo 1 > "$cg/memory.force_empty" 2> /dev/null
            rmdir "$cg" 2> /dev/null || echo "warning: could not remove $cg"
        fi
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'fail "interrupted"; summary; exit 1' INT TERM
# A command that fails outside a check (set -e) still ends with the summary.
trap 'fail "line $LINENO: an unexpected command failed"; summary' ERR
runc_pid_of() { runc state "$id" 2> /dev/null | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])' 2> /dev/null; }

echo "-- tools (apt: umoci skopeo buildah runc yamllint python3-yaml python3-venv binutils)"
if ! command -v umoci > /dev/null || ! command -v skopeo > /dev/null || ! command -v runc > /dev/null \
    || ! command -v buildah > /dev/null || ! command -v yamllint > /dev/null \
    || ! /usr/bin/python3 -c 'import yaml, venv, ensurepip' 2> /dev/null || ! command -v strip > /dev/null; then
    apt-get update -qq > /dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q umoci skopeo buildah runc yamllint python3-yaml python3-venv binutils \
        > "$work/apt.log" 2>&1 || { tail -20 "$work/apt.log"; fail "apt-get install of the tools failed"; finish; }
fi
# kubectl (for kustomize): the base image has it; its own package otherwise.
if ! command -v kubectl > /dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q kubectl > "$work/apt.log" 2>&1 \
        || { tail -20 "$work/apt.log"; fail "kubectl is missing and apt-get install kubectl failed"; finish; }
fi

echo "-- 1. the manifests"
if out=$(yamllint -s deploy/ 2>&1); then ok "yamllint -s deploy/"; else echo "$out"; fail "yamllint -s deploy/"; fi
for variant in v1 v2; do
    dir=deploy/kubernetes
    [ "$variant" = v2 ] && dir=deploy/kubernetes/cgroup-v2
    if kubectl kustomize "$dir" > "$work/$variant.yaml" 2> "$work/kustomize.err"; then
        ok "kubectl kustomize $dir"
    else
        cat "$work/kustomize.err"
        fail "kubectl kustomize $dir"
        finish
    fi
done
# The two variants differ in the cgroup hostPath and in what lets them run
# side by side on a mixed fleet: the DaemonSet's name, a selector label and
# the node affinity (the operator's label mon-memcg.io/cgroup=v2).
changed=$( { diff "$work/v1.yaml" "$work/v2.yaml" || true; } | grep '^[<>]' | sed 's/^\([<>]\) */\1 /' | sort | tr '\n' '|')
want='< name: mon-memcg|< operator: NotIn|< path: /sys/fs/cgroup/memory|> app.kubernetes.io/component: cgroup-v2|> app.kubernetes.io/component: cgroup-v2|> name: mon-memcg-cgroup-v2|> operator: In|> path: /sys/fs/cgroup|'
if [ "$changed" = "$want" ]; then
    ok "cgroup-v2 differs from v1 only in the cgroup hostPath (/sys/fs/cgroup), its name, selector label and node affinity"
else
    diff "$work/v1.yaml" "$work/v2.yaml"
    fail "cgroup-v2 must change only the cgroup hostPath, the name, a selector label and the node affinity"
fi
# Which nodes each variant runs on, as the scheduler decides it from the
# rendered requiredDuringScheduling node affinity: on every kind of node,
# labelled or not, exactly one of the two runs, and it is the one for the
# node's hierarchy as the label says (unlabelled nodes are taken for v1).
tally "$(/usr/bin/python3 - "$work/v1.yaml" "$work/v2.yaml" 2>&1 << 'EOF'
import sys, yaml
def affinity(path):
    ds = next(d for d in yaml.safe_load_all(open(path)) if d and d["kind"] == "DaemonSet")
    spec = ds["spec"]["template"]["spec"]
    if "nodeSelector" in spec: raise SystemExit(f"FAIL: {path}: a nodeSelector would narrow the affinity")
    terms = spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    return ds["metadata"]["name"], ds["spec"]["selector"]["matchLabels"], terms
def expression(e, labels):
    op, key, values = e["operator"], e["key"], e.get("values", [])
    if op == "In": return key in labels and labels[key] in values
    if op == "NotIn": return key not in labels or labels[key] not in values
    if op == "Exists": return key in labels
    if op == "DoesNotExist": return key not in labels
    raise SystemExit(f"FAIL: node affinity operator {op} is not evaluated here")
def runs(terms, labels):  # terms are ORed, a term's expressions ANDed
    return any(not t.get("matchFields") and all(expression(e, labels) for e in t.get("matchExpressions", [])) for t in terms)
(n1, s1, v1), (n2, s2, v2) = affinity(sys.argv[1]), affinity(sys.argv[2])
nodes = {"unlabelled": ({}, n1), "mon-memcg.io/cgroup=v1": ({"mon-memcg.io/cgroup": "v1"}, n1),
         "mon-memcg.io/cgroup=v2": ({"mon-memcg.io/cgroup": "v2"}, n2),
         "mon-memcg.io/cgroup=x": ({"mon-memcg.io/cgroup": "x"}, n1),
         "other labels only": ({"kubernetes.io/os": "linux"}, n1)}
bad = []
for name, (labels, want) in nodes.items():
    got = [n for n, t in ((n1, v1), (n2, v2)) if runs(t, labels)]
    if got != [want]: bad.append(f"{name}: runs {got or 'nothing'}, wants {want}")
print(f"FAIL: node affinity: {'; '.join(bad)}" if bad else
      f"ok: node affinity: exactly one variant per node ({n1} unless mon-memcg.io/cgroup=v2, then {n2}), {len(nodes)} kinds of node")
print(f"FAIL: the two DaemonSets' selectors are equal ({s1})" if s1 == s2 else f"ok: the two DaemonSets' selectors differ ({s2})")
EOF
)"

# An edit of mon_memcg.conf must reach the pods: the generated ConfigMap's
# name carries a hash of the file, and the DaemonSet names it, so the pod
# template changes and `kubectl apply -k` rolls the pods out.
cp -r deploy "$work/deploy-edit"
sed -i 's/^poll_interval = 5s$/poll_interval = 4s/' "$work/deploy-edit/kubernetes/base/mon_memcg.conf"
kubectl kustomize "$work/deploy-edit/kubernetes" > "$work/edited.yaml" 2>> "$work/kustomize.err"
cm_name() { /usr/bin/python3 -c 'import sys, yaml
d = [x for x in yaml.safe_load_all(open(sys.argv[1])) if x]
cm = [x["metadata"]["name"] for x in d if x["kind"] == "ConfigMap"]
ds = [v["configMap"]["name"] for x in d if x["kind"] == "DaemonSet" for v in x["spec"]["template"]["spec"]["volumes"] if "configMap" in v]
print(cm[0] if cm == ds else "mismatch %s %s" % (cm, ds))' "$1"; }
before=$(cm_name "$work/v1.yaml"); after=$(cm_name "$work/edited.yaml")
if [[ $before == mon-memcg-config-* ]] && [[ $after == mon-memcg-config-* ]] && [ "$before" != "$after" ]; then
    ok "an edit of mon_memcg.conf renames the ConfigMap the DaemonSet mounts ($before -> $after): the pods roll out"
else
    fail "the ConfigMap's name does not follow mon_memcg.conf ($before -> $after)"
fi

/usr/bin/python3 -m venv "$work/venv" > "$work/venv.log" 2>&1 \
    && "$work/venv/bin/pip" install -q kubernetes-validate==1.37.0 >> "$work/venv.log" 2>&1 \
    || { tail -20 "$work/venv.log"; fail "cannot install kubernetes-validate from PyPI in a venv"; finish; }
if out=$("$work/venv/bin/kubernetes-validate" --strict -k 1.37.0 "$work/v1.yaml" "$work/v2.yaml" 2>&1); then
    echo "$out" | sed 's/^/   /'
    ok "kubernetes-validate --strict -k 1.37.0: both variants"
else
    echo "$out"
    fail "kubernetes-validate --strict -k 1.37.0"
fi
# The validator must catch an unknown field, or it proves nothing.
sed 's/readOnly: true/readOnlyy: true/' "$work/v1.yaml" > "$work/typo.yaml"
if "$work/venv/bin/kubernetes-validate" --strict -k 1.37.0 --quiet "$work/typo.yaml" > /dev/null 2>&1; then
    fail "kubernetes-validate --strict accepted an unknown field (readOnlyy)"
else
    ok "kubernetes-validate --strict rejects an unknown field (readOnlyy)"
fi

for variant in v1 v2; do
    echo "   security and consistency ($variant):"
    tally "$(/usr/bin/python3 scripts/k8s-pod-to-oci.py check "$work/$variant.yaml" 2>&1 | sed "s/^\(ok\|FAIL\): /\1: $variant: /")"
done
# Loosening any of them must be caught.
loosen() {
    local name=$1 expect=$2
    /usr/bin/python3 - "$work/v1.yaml" "$work/loose.yaml" "$name" << 'EOF'
import sys, yaml
src, dst, name = sys.argv[1:]
docs = [d for d in yaml.safe_load_all(open(src)) if d]
for d in docs:
    if d["kind"] == "DaemonSet":
        pod = d["spec"]["template"]["spec"]
        c = pod["containers"][0]
        sc = c["securityContext"]
        if name == "privileged": sc["privileged"] = True
        if name == "escalation": sc["allowPrivilegeEscalation"] = True
        if name == "capability": sc["capabilities"]["add"] = ["SYS_ADMIN"]
        if name == "rootfs": sc["readOnlyRootFilesystem"] = False
        if name == "seccomp": sc["seccompProfile"] = {"type": "Unconfined"}
        if name == "hostpid": pod["hostPID"] = True
        if name == "proc-rw": next(m for m in c["volumeMounts"] if m["name"] == "proc")["readOnly"] = False
        if name == "hostroot":
            pod["volumes"].append({"name": "root", "hostPath": {"path": "/"}})
            c["volumeMounts"].append({"name": "root", "mountPath": "/host/root"})
    if d["kind"] == "ServiceAccount" and name == "token": d["automountServiceAccountToken"] = True
    if d["kind"] == "ConfigMap" and name == "drop_caches":
        d["data"]["mon_memcg.conf"] = d["data"]["mon_memcg.conf"].replace("dying_reclaim = off", "dying_reclaim = auto")
yaml.safe_dump_all(docs, open(dst, "w"))
EOF
    if out=$(/usr/bin/python3 scripts/k8s-pod-to-oci.py check "$work/loose.yaml" 2>&1); then
        fail "loosened ($name): the checks passed"
    elif grep -q "^FAIL: $expect" <<< "$out"; then
        ok "loosened ($name): caught by \"$expect\""
    else
        echo "$out" | grep '^FAIL'
        fail "loosened ($name): not caught by \"$expect\""
    fi
}
loosen privileged "not privileged"
loosen escalation "allowPrivilegeEscalation: false"
loosen capability "capabilities drop ALL, add none"
loosen rootfs "readOnlyRootFilesystem: true"
loosen seccomp "seccompProfile RuntimeDefault"
loosen hostpid "no host network, PID or IPC namespace"
loosen proc-rw "hostPath volumes"
loosen hostroot "hostPath volumes"
loosen token "no service account token"
loosen drop_caches "dying_reclaim = off"

echo "-- 2. the image (scripts/build-image.sh, no container engine)"
swift build -c release -Xswiftc -static-executable --product mon_memcg > "$work/build.log" 2>&1 \
    || { tail -40 "$work/build.log"; fail "the release build failed"; finish; }
bin=$(swift build -c release -Xswiftc -static-executable --show-bin-path)/mon_memcg
/usr/bin/python3 - "$work/v1.yaml" "$work/mon_memcg.conf" << 'EOF'
import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d["kind"] == "ConfigMap":
        open(sys.argv[2], "w").write(d["data"]["mon_memcg.conf"])
EOF
chmod 0644 "$work/mon_memcg.conf"
if out=$("$bin" config --syntax-only --config "$work/mon_memcg.conf" 2>&1) && grep -qx 'log_file = -' <<< "$out" \
    && grep -qx 'dying_reclaim = off' <<< "$out"; then
    ok "mon_memcg config accepts the ConfigMap's mon_memcg.conf (log_file = -, dying_reclaim = off)"
else
    echo "$out"
    fail "mon_memcg config refuses the ConfigMap's mon_memcg.conf"
fi

image_dir=$work/image
if scripts/build-image.sh "$bin" "$image_dir" > "$work/image.log" 2>&1; then
    ok "scripts/build-image.sh built $(grep -o 'oci (tag [^)]*)' "$work/image.log") and the archive"
else
    cat "$work/image.log"
    fail "scripts/build-image.sh"
    finish
fi
version=$(sed -n 's/^Version: *//p' packaging/rpm/mon_memcg.spec)
skopeo inspect --config "oci:$image_dir/oci:$version" > "$work/image-config.json"
skopeo inspect "oci-archive:$image_dir/mon-memcg-$version.oci.tar" > "$work/archive.json" 2>&1 \
    && ok "skopeo inspect reads the archive mon-memcg-$version.oci.tar" \
    || { cat "$work/archive.json"; fail "skopeo inspect oci-archive:mon-memcg-$version.oci.tar"; }
# The Containerfile, built by buildah (no daemon; FROM scratch and COPY need
# no isolation) from a context holding what its comments say to prepare.
ctx=$work/context
mkdir -p "$ctx/.build/image"
cp "$bin" "$ctx/.build/image/mon_memcg"
strip "$ctx/.build/image/mon_memcg"
cp LICENSE "$ctx/"
bah=(buildah --root "$work/buildah/root" --runroot "$work/buildah/run" --storage-driver vfs)
if "${bah[@]}" bud --quiet --isolation chroot -f "$PWD/deploy/image/Containerfile" --build-arg "VERSION=$version" \
        --build-arg "REVISION=$(git rev-parse HEAD 2> /dev/null || echo unknown)" \
        --build-arg "SOURCE=$(git remote get-url origin 2> /dev/null || echo unknown)" -t "mon-memcg:$version" "$ctx" \
        > "$work/buildah.log" 2>&1 \
    && "${bah[@]}" push --quiet "mon-memcg:$version" "oci:$work/containerfile-oci:$version" >> "$work/buildah.log" 2>&1; then
    ok "buildah bud -f deploy/image/Containerfile"
else
    cat "$work/buildah.log"
    fail "buildah bud -f deploy/image/Containerfile"
fi
tally "$(/usr/bin/python3 - "$image_dir/oci" "$work/containerfile-oci" "$version" << 'EOF'
import hashlib, json, os, sys, tarfile
script_layout, containerfile_layout, version = sys.argv[1:]

def image(layout):
    """(config, {path: (sha256, mode, uid, gid)}, compressed bytes) of an OCI layout."""
    blob = lambda d: os.path.join(layout, "blobs", *d.split(":"))
    index = json.load(open(os.path.join(layout, "index.json")))
    manifest = json.load(open(blob(index["manifests"][0]["digest"])))
    config = json.load(open(blob(manifest["config"]["digest"])))
    files, size = {}, 0
    for layer in manifest["layers"]:
        size += os.path.getsize(blob(layer["digest"]))
        with tarfile.open(blob(layer["digest"])) as t:
            for m in t.getmembers():
                if m.isfile():
                    digest = hashlib.sha256(t.extractfile(m).read()).hexdigest()[:16]
                    files[m.name.removeprefix("./")] = (digest, oct(m.mode & 0o7777), m.uid, m.gid)
    return config, files, size

def check(name, cond, why):
    print(f"ok: image: {name}" if cond else f"FAIL: image: {name}: {why}")

cfg, files, size = image(script_layout)
c = cfg["config"]
labels = c.get("Labels", {})
check("OCI labels source, version, licenses, revision",
      all(labels.get(f"org.opencontainers.image.{k}") for k in ("source", "version", "licenses", "revision"))
      and labels["org.opencontainers.image.version"] == version
      and labels["org.opencontainers.image.licenses"] == "Apache-2.0", f"labels are {labels}")
check("entrypoint /usr/sbin/mon_memcg, cmd watch, user 0:0",
      c.get("Entrypoint") == ["/usr/sbin/mon_memcg"] and c.get("Cmd") == ["watch"] and c.get("User") == "0:0",
      f"config is {c}")
check("only usr/sbin/mon_memcg and its licence (no shell, no package manager)",
      sorted(files) == ["usr/sbin/mon_memcg", "usr/share/doc/mon_memcg/LICENSE"], f"files are {sorted(files)}")
print(f"   image: {len(cfg['rootfs']['diff_ids'])} layer, {size} bytes compressed ({size / 1048576:.1f} MiB)")
try:
    cfg2, files2, _ = image(containerfile_layout)
except (OSError, ValueError, KeyError, IndexError) as e:
    check("the Containerfile's image equals the script's", False, f"no Containerfile image: {e}")
    sys.exit(0)
c2 = cfg2["config"]
pick = lambda c: {k: c.get(k) for k in ("Entrypoint", "Cmd", "User", "Env")}
labels2 = {k: v for k, v in c2.get("Labels", {}).items() if k != "io.buildah.version"}
check("the Containerfile's image has the same entrypoint, cmd, user, env and labels",
      pick(c) == pick(c2) and labels == labels2, f"script {pick(c)} {labels}, Containerfile {pick(c2)} {labels2}")
check("the Containerfile's image has the same files, contents, modes and owners",
      files == files2, f"script {files}, Containerfile {files2}")
EOF
)"
image_bytes=$(du -sb "$image_dir/oci" | cut -f1)

echo "-- 3. runc runs the image with the DaemonSet's settings"
if [ "$(id -u)" != 0 ]; then
    skip "runc: needs root"
    finish
fi
if [ ! -e "$memcg/memory.usage_in_bytes" ] || [ ! -w "$memcg" ]; then
    skip "runc: no writable cgroup v1 memory controller at $memcg"
    finish
fi

# The target: 256 MiB of clean page cache, for force_empty to free.
mkdir "$target" "$hog"
sh -c 'echo $$ > "$1/cgroup.procs" && exec dd if=/dev/zero of="$2" bs=1M count=256 status=none' sh "$target" "$work/cache"
sync
before=$(cat "$target/memory.usage_in_bytes")
# Short when the node's working set grows by 1 GiB from now; 4 GiB of
# anonymous memory in another test cgroup makes that happen later. (Other
# processes on a shared machine may cross it first: still a crossing.)
"$bin" status --json --cgroup-root "$memcg" --target "${target##*/}" --state-file "$work/host-state" > "$work/status.json"
threshold=$(/usr/bin/python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["available_bytes"] - s["watermark_bytes"] - (1 << 30))' "$work/status.json")

bundle=$work/bundle
umoci unpack --image "$image_dir/oci:$version" "$bundle" > /dev/null
no_oom=()
# Lowering oom_score_adj needs CAP_SYS_RESOURCE; a sandboxed CI host may lack it.
if ! (echo -997 > /proc/self/oom_score_adj) 2> /dev/null; then
    no_oom=(--no-oom-score-adj "this host's root lacks CAP_SYS_RESOURCE (kubelet sets it on a node)")
fi
echo "   the bundle, derived from the rendered DaemonSet:"
/usr/bin/python3 scripts/k8s-pod-to-oci.py bundle "$work/v1.yaml" --image-config "$work/image-config.json" \
    --bundle "$bundle" --cgroups-path "/$id" \
    --host-path "/run/mon_memcg=$work/state" \
    --host-path "/var/lib/node_exporter/textfile_collector=$work/textfile" \
    --set "target=${target##*/}" --set "available_threshold=$threshold" --set "growth_threshold=64M" \
    "${no_oom[@]}" | sed 's/^/   /'
max_age=$(/usr/bin/python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["args"]; print(a[a.index("--max-age")+1])' "$bundle/probe.json")
max_age_s=${max_age%s}
grace=$(/usr/bin/python3 -c 'import sys,yaml; print(next(d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"]=="DaemonSet")["spec"]["template"]["spec"].get("terminationGracePeriodSeconds", 30))' "$work/v1.yaml")

log=$work/container.log
(cd "$bundle" && exec runc run "$id") > "$log" 2>&1 &
runc_pid=$!
probe() {
    local out status=0
    out=$(timeout 5 runc exec --process "$bundle/probe.json" "$id" 2>&1) || status=$?
    echo "   probe at +$(($(date +%s) - started)) s: exit $status: $out"
    return $status
}
started=$(date +%s)
for _ in $(seq 100); do [ -s "$work/state/state.alive" ] && break; sleep 0.1; done
# PID 1 is watch --supervise (the DaemonSet's args); the daemon is its child.
spid=$(runc_pid_of)
cpid=$(daemon_of "$spid")
# The daemon's pid in the container, as PID 1 said it and as the daemon did.
inner=$(supervisor_started "$log")
if [ -n "$cpid" ] && [ -s "$work/state/state.alive" ] && [ -n "$inner" ] && [ "$inner" != 1 ] \
    && grep -q "watch started (pid $inner)" "$log"; then
    ok "runc: watch --supervise is PID 1 (host pid $spid); its daemon (host pid $cpid) completed its first check"
else
    cat "$log"
    fail "runc: watch --supervise did not start its daemon, or the daemon did not complete a check within 10 s"
    finish
fi
if grep -q 'need reclaim' "$log"; then
    echo "   note: memory was already short at the first check (the shared machine's usage grew by 1 GiB)"
fi
status=$(grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' "/proc/$cpid/status" | tr -s '\t ' ' ' | tr '\n' ' ')
sstatus=$(grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' "/proc/$spid/status" | tr -s '\t ' ' ' | tr '\n' ' ')
echo "   /proc/$cpid/status: $status"
if grep -q 'CapEff: 0000000000000000 CapBnd: 0000000000000000 NoNewPrivs: 1 Seccomp: 2' <<< "$status" && [ "$sstatus" = "$status" ]; then
    ok "runc: the daemon and its supervisor run with no capability at all, no_new_privs and a seccomp filter"
else
    fail "runc: the daemon's capabilities or no_new_privs are not what the DaemonSet asks"
fi
# The mounts as the daemon sees them (field 5: mount point, 6: options).
mounts=$(awk '$5 == "/" || $5 ~ /^\/host\// || $5 ~ /^\/etc\/mon_memcg$/ || $5 == "/run/mon_memcg" || $5 ~ /^\/var\/lib\// {split($6, o, ","); print $5 " " o[1]}' "/proc/$cpid/mountinfo" | sort)
echo "$mounts" | sed 's/^/   mount in the container: /'
if [ "$(tr '\n' ' ' <<< "$mounts")" = "/ ro /etc/mon_memcg ro /host/cgroup rw /host/proc ro /run/mon_memcg rw /var/lib/node_exporter/textfile_collector rw " ]; then
    ok "runc: root, config and host /proc read-only; cgroup, state and textfile read-write"
else
    fail "runc: the container's mounts are not the DaemonSet's"
fi
probe && ok "runc: the liveness probe passes while watch runs" || fail "runc: the liveness probe failed while watch runs"

# The crossing: 4 GiB of anonymous memory elsewhere shortens kubelet's
# available memory by more than the 1 GiB margin.
/usr/bin/python3 -c '
import os, sys, time
open(sys.argv[1] + "/cgroup.procs", "w").write(str(os.getpid()))
b = b"\1" * (4 << 30)
time.sleep(120)' "$hog" &
hog_pid=$!
echo "   +$(($(date +%s) - started)) s: 4 GiB of anonymous memory being allocated in ${hog##*/}"
reclaimed=
for _ in $(seq 300); do
    grep -q "After reclaim:" "$log" && { reclaimed=1; break; }
    sleep 0.1
done
after=$(cat "$target/memory.usage_in_bytes")
echo "   the container's log so far:"
sed 's/^/     /' "$log"
if [ -n "$reclaimed" ] && grep -q "need reclaim /host/cgroup//${target##*/} !!" "$log"; then
    ok "runc: memory turned short on the real kernel and watch reclaimed ${target##*/} from the container"
else
    fail "runc: no reclaim of ${target##*/} within 30 s of the crossing"
fi
if [ "$after" -lt $((before / 4)) ]; then
    ok "runc: ${target##*/} went from $before to $after bytes (memory.usage_in_bytes on the host)"
else
    fail "runc: ${target##*/} still holds $after of $before bytes"
fi
kill "$hog_pid" 2> /dev/null
wait "$hog_pid" 2> /dev/null || true
hog_pid=
# What `kubectl exec ... mon_memcg status` does: the probe's process, other args.
/usr/bin/python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
p["args"] = [p["args"][0], "status", "--config", p["args"][p["args"].index("--config") + 1]]
json.dump(p, open(sys.argv[2], "w"))' "$bundle/probe.json" "$work/status-process.json"
if out=$(timeout 10 runc exec --process "$work/status-process.json" "$id" 2>&1) && grep -q "${target##*/}" <<< "$out"; then
    echo "$out" | sed 's/^/   status> /' | head -12
    ok "runc: mon_memcg status runs in the container (kubectl exec)"
else
    echo "$out"
    fail "runc: mon_memcg status failed in the container"
fi
if grep -q '^mon_memcg_reclaims_total 1$' "$work/textfile/mon_memcg.prom" 2> /dev/null; then
    ok "runc: metrics_file written through the textfile mount (mon_memcg_reclaims_total 1)"
else
    fail "runc: no mon_memcg_reclaims_total 1 in the metrics file"
fi
rss_kib=$(awk '/^VmRSS:/ {print $2}' "/proc/$cpid/status")
hwm_kib=$(awk '/^VmHWM:/ {print $2}' "/proc/$cpid/status")
cg_max=$(cat "$memcg/$id/memory.max_usage_in_bytes" 2> /dev/null || echo "?")
echo "   memory: VmRSS ${rss_kib} KiB, VmHWM ${hwm_kib} KiB, container cgroup max_usage_in_bytes ${cg_max}; image ${image_bytes} bytes"

# Frozen: the heartbeat ages; the probe must fail past --max-age.
kill -STOP "$cpid"
frozen=$(date +%s)
probe && ok "runc: the probe still passes right after the daemon is frozen" \
    || fail "runc: the probe failed right after freezing (the heartbeat should be fresh)"
echo "   waiting $((max_age_s + 2)) s (--max-age $max_age, from the DaemonSet's probe) with the daemon stopped"
sleep $((max_age_s + 2))
if probe; then
    fail "runc: the probe passed with the daemon frozen for $(($(date +%s) - frozen)) s"
else
    ok "runc: the probe fails with the daemon frozen for $(($(date +%s) - frozen)) s (max age $max_age)"
fi
kill -CONT "$cpid"
back=
for _ in $(seq 20); do
    probe > /dev/null 2>&1 && { back=1; break; }
    sleep 0.5
done
[ -n "$back" ] && probe && ok "runc: the probe passes again once the daemon runs" \
    || fail "runc: the probe still fails 10 s after SIGCONT"

# SIGTERM, what kubelet sends: status 0 within the grace period.
t0=$(date +%s%N)
runc kill "$id" TERM
container_exit "$grace"
ms=$((($(date +%s%N) - t0) / 1000000))
echo "   after SIGTERM: $(tail -1 "$log")"
if [ "$exit_status" = 0 ] && grep -q 'watch stopped on SIGTERM' "$log"; then
    ok "runc: SIGTERM stopped watch with status 0 in $ms ms (grace period ${grace} s)"
else
    fail "runc: after SIGTERM the status is '${exit_status:-still running after ${grace} s}'"
fi
runc delete -f "$id" > /dev/null 2>&1 || true

# The daemon killed with SIGKILL inside a running container (an OOM kill,
# a crash) while the v1 lever holds the target's memory.limit_in_bytes:
# PID 1 outlives it, puts the limit back at once (kubelet would restart the
# container only after its back-off) and ends the container with 128 + 9.
# Second run, the same bundle with memory_limit = on and the node short
# whatever the target frees (available_threshold = 64G), the target
# refilled with 256 MiB of page cache so its growth calls for a reclaim.
conf=$(readlink -f "$bundle/volumes/config/mon_memcg.conf")
chmod u+w "$conf"
sed -i '/^available_threshold *=/d' "$conf"
printf 'available_threshold = 64G\nmemory_limit = on\n' >> "$conf"
chmod 0444 "$conf"
limit_before=$(cat "$target/memory.limit_in_bytes")
sh -c 'echo $$ > "$1/cgroup.procs" && exec dd if=/dev/zero of="$2" bs=1M count=256 status=none' sh "$target" "$work/cache2"
log2=$work/container-killed.log
(cd "$bundle" && exec runc run "$id") > "$log2" 2>&1 &
runc_pid=$!
engaged=
for _ in $(seq 300); do
    if [ "$(cat "$target/memory.limit_in_bytes")" != "$limit_before" ] && grep -q '^memory_limit_written ' "$work/state/state" 2> /dev/null; then
        engaged=$(cat "$target/memory.limit_in_bytes"); break
    fi
    sleep 0.1
done
if [ -n "$engaged" ]; then
    ok "runc, memory_limit = on: a held episode set ${target##*/}'s memory.limit_in_bytes to $engaged (was $limit_before)"
else
    sed 's/^/     /' "$log2" | tail -20
    fail "runc, memory_limit = on: the lever was not set within 30 s"
fi
spid=$(runc_pid_of)
cpid=$(daemon_of "$spid")
restored_ms=
[ -n "$engaged" ] && restored_ms=$(supervised_kill "$cpid" "$target/memory.limit_in_bytes" "$limit_before")
container_exit 10
grep -E 'memory.limit_in_bytes (set|restored)|watch --supervise' "$log2" | sed 's/^/     /' | tail -6
if [ -n "$engaged" ] && [ -n "$restored_ms" ] && [ "$exit_status" = 137 ] \
    && supervised_restore_logged "$log2" memory.limit_in_bytes "/host/cgroup/${target##*/}" "$limit_before" "$engaged"; then
    ok "runc: the daemon killed with SIGKILL: PID 1 put memory.limit_in_bytes back to $limit_before ${restored_ms} ms after the kill, then ended the container with status 137"
else
    fail "runc: after the daemon's SIGKILL: limit $(cat "$target/memory.limit_in_bytes") (was $limit_before), container status '${exit_status:-still running after 10 s}', daemon host pid '${cpid}'"
fi
runc delete -f "$id" > /dev/null 2>&1 || true
finish
