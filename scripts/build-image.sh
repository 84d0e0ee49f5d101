#!/usr/bin/env bash
# Builds the mon_memcg OCI image without a container engine, with Debian's
# umoci and skopeo: the same image as deploy/image/Containerfile (the static
# executable, its licence, OCI labels; no shell, no package manager).
#
#   scripts/build-image.sh [BINARY [OUTDIR]]
#
# BINARY defaults to the release build (swift build -c release
# -Xswiftc -static-executable --product mon_memcg); OUTDIR to .build/image.
# Writes OUTDIR/oci (an OCI image layout, tag VERSION) and
# OUTDIR/mon-memcg-VERSION.oci.tar (the same as an oci-archive), then shows
# the config with skopeo inspect. Push or load it with skopeo, e.g.
#   skopeo copy oci-archive:.build/image/mon-memcg-0.1.0.oci.tar docker://REGISTRY/mon-memcg:0.1.0
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in umoci skopeo strip; do
    command -v "$tool" > /dev/null || { echo "build-image: $tool is missing (apt-get install -y umoci skopeo binutils)" >&2; exit 1; }
done

version=$(sed -n 's/^Version: *//p' packaging/rpm/mon_memcg.spec)
[ -n "$version" ] || { echo "build-image: no Version: in packaging/rpm/mon_memcg.spec" >&2; exit 1; }
binary=${1:-$(PATH=/opt/swift/usr/bin:$PATH swift build -c release -Xswiftc -static-executable --show-bin-path)/mon_memcg}
out=${2:-.build/image}
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
source=$(git remote get-url origin 2>/dev/null || echo unknown)

[ -x "$binary" ] || { echo "build-image: $binary is not an executable: build it first (see deploy/image/Containerfile)" >&2; exit 1; }
if readelf -l "$binary" | grep -q -e INTERP -e DYNAMIC; then
    echo "build-image: $binary is not a static executable: the image has no libc (build with -Xswiftc -static-executable)" >&2
    exit 1
fi

rm -rf "$out/oci" "$out/bundle" "$out/mon-memcg-$version.oci.tar"
mkdir -p "$out"
image="$out/oci:$version"
umoci init --layout "$out/oci"
umoci new --image "$image"
# An empty rootfs to fill: as root, so the files belong to uid 0 in the layer.
umoci unpack --image "$image" "$out/bundle" > /dev/null
rootfs="$out/bundle/rootfs"
install -D -m 0755 "$binary" "$rootfs/usr/sbin/mon_memcg"
# The symbol table only: backtraces keep function names from Swift's own
# metadata, and the image is a third of the size.
strip "$rootfs/usr/sbin/mon_memcg"
install -D -m 0644 LICENSE "$rootfs/usr/share/doc/mon_memcg/LICENSE"
umoci repack --image "$image" "$out/bundle"
rm -rf "$out/bundle"

umoci config --image "$image" \
    --os linux --architecture amd64 \
    --config.user 0:0 \
    --config.workingdir / \
    --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --config.entrypoint /usr/sbin/mon_memcg \
    --config.cmd watch \
    --config.label org.opencontainers.image.title=mon_memcg \
    --config.label "org.opencontainers.image.description=Reclaims the user.slice memory cgroup before kubelet evicts pods" \
    --config.label "org.opencontainers.image.source=$source" \
    --config.label "org.opencontainers.image.version=$version" \
    --config.label "org.opencontainers.image.revision=$revision" \
    --config.label org.opencontainers.image.licenses=Apache-2.0
umoci gc --layout "$out/oci"
skopeo copy --quiet "oci:$image" "oci-archive:$out/mon-memcg-$version.oci.tar:mon-memcg:$version"
echo "build-image: $out/oci (tag $version) and $out/mon-memcg-$version.oci.tar"
skopeo inspect --config "oci:$image"
