#!/usr/bin/env bash
# registry_transfer.sh — issue 7's export and transfer benchmark, buildtool beside skopeo (the
# reference transfer tool) in the same run, on ../shared/bench's big-layer workload (300 MiB
# of hex text in one RUN layer, on a busybox base made here):
#   export:  the layer's gzip (force-compression) into an OCI archive — MB/s of input and the
#            compression ratio;
#   push:    the image to a registry on 127.0.0.1 (a new repository each time) — buildtool push
#            against skopeo copy oci:DIR docker://...;
#   pull:    the image from it into an empty store — buildtool pull against skopeo copy
#            docker://... oci:DIR.
#   peers:   the same image's gzip by buildah (push oci-archive:, containers/image's pgzip on all
#            cores) and by docker with BuildKit (dockerd 20.10: `docker push` to an empty
#            registry, Go's gzip), each built by that tool from the same busybox base; each
#            is skipped, saying why, when the tool or a docker daemon is missing.
# Prints medians of REPS runs and the ratios. Not a test: a benchmark.
#
#   tests/bench/registry_transfer.sh BUILDTOOL [REPS]
set -euo pipefail
buildtool=$(realpath "$1")
reps=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
shared=$(cd "$here/../../../shared" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/bt-bench-registry.XXXXXX")
port=$((20000 + RANDOM % 20000))  # and the next 2 x REPS + 1
cleanup() {
  for d in "$work"/reg-*; do [ -d "$d" ] && "$shared/bench/registry.sh" stop "$d" >/dev/null 2>&1; done
  if [ -d "$work/buildah" ]; then
    "${BUILDAH[@]}" rm -a >/dev/null 2>&1; "${BUILDAH[@]}" rmi -af >/dev/null 2>&1
    grep -o " $work/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
  fi
  [ "${docker_ok:-0}" = 1 ] && "$docker" rmi -f "${docker_tags[@]}" >/dev/null 2>&1
  rm -rf "$work"
}
docker_tags=()
BUILDAH=(buildah --root "$work/buildah/root" --runroot "$work/buildah/run" --storage-driver overlay)
trap cleanup EXIT
. "$here/bench_lib.sh"

time_ms() {  # CMD...: runs it, prints its wall time in ms
  local now t0; now_us; t0=$now
  "$@" >/dev/null 2>&1
  now_us; ms_between "$t0" "$now"
}

# The image: big-layer on an imported busybox base.
"$here/../example/make-busybox-rootfs.sh" "$work/bb" >/dev/null
tar -C "$work/bb" --numeric-owner -cf "$work/bb.tar" .
root=$work/root
"$buildtool" import --root "$root" "$work/bb.tar" busybox >/dev/null
mkdir -p "$work/ctx"
cp "$shared/bench/workloads/big-layer/Dockerfile" "$work/ctx/Dockerfile"
"$buildtool" build --root "$root" -q --build-arg BASE=busybox -t big:1 "$work/ctx" >/dev/null
layer_bytes=$(du -sb "$root/snapshots" | cut -f1)

# Export: recompress the layers (the RUN is cached), median of REPS.
export_ms=()
for _ in $(seq 1 "$reps"); do
  export_ms+=("$(time_ms "$buildtool" build --root "$root" -q --build-arg BASE=busybox \
    -o "type=oci,dest=$work/export.tar,force-compression=true" "$work/ctx")")
done
export_median=$(printf '%s\n' "${export_ms[@]}" | median)
archive_bytes=$(stat -c %s "$work/export.tar")
"$buildtool" save --root "$root" big:1 -o "$work/big-oci.tar"
mkdir -p "$work/big" && tar -xf "$work/big-oci.tar" -C "$work/big"

# Each push goes to an empty registry of its own (two per rep: one per tool), so that neither
# finds the other's blobs and nothing is mounted or skipped; each pull reads its own push back.
bt_push=() sk_push=() bt_pull=() sk_pull=()
for i in $(seq 1 "$reps"); do
  bt_port=$((port + 2 * i)) sk_port=$((port + 2 * i + 1))
  "$shared/bench/registry.sh" start "$work/reg-bt$i" "$bt_port" >/dev/null
  "$shared/bench/registry.sh" start "$work/reg-sk$i" "$sk_port" >/dev/null
  "$buildtool" tag --root "$root" big:1 "127.0.0.1:$bt_port/big:1"
  bt_push+=("$(time_ms "$buildtool" push --root "$root" "127.0.0.1:$bt_port/big:1")")
  sk_push+=("$(time_ms skopeo copy --dest-tls-verify=false "oci:$work/big:1" "docker://127.0.0.1:$sk_port/big:1")")
  rm -rf "$work/pullroot" "$work/skpull"
  bt_pull+=("$(time_ms "$buildtool" pull --root "$work/pullroot" "127.0.0.1:$bt_port/big:1")")
  sk_pull+=("$(time_ms skopeo copy --src-tls-verify=false "docker://127.0.0.1:$sk_port/big:1" "oci:$work/skpull:1")")
  "$shared/bench/registry.sh" stop "$work/reg-bt$i" >/dev/null 2>&1 || true
  "$shared/bench/registry.sh" stop "$work/reg-sk$i" >/dev/null 2>&1 || true
done
# The peers' gzip of the same layer. Sizes: the largest blob of an archive, or of a pushed
# manifest's layers.
largest_blob() { tar -tvf "$1" | awk '$6 ~ /^blobs\/sha256\// {print $3}' | sort -n | tail -n 1; }
"$buildtool" save --root "$root" busybox --format docker -o "$work/busybox-docker.tar"
ba_export=() dk_push=() ba_bytes=0 dk_bytes=0
if command -v buildah >/dev/null; then
  "${BUILDAH[@]}" pull -q "docker-archive:$work/busybox-docker.tar" >/dev/null
  "${BUILDAH[@]}" tag "$("${BUILDAH[@]}" images -q | head -n 1)" busybox:latest
  "${BUILDAH[@]}" bud -q --layers --isolation chroot --network host --pull=never \
    --build-arg BASE=busybox:latest -t big:buildah "$work/ctx" >/dev/null
  for _ in $(seq 1 "$reps"); do
    rm -f "$work/buildah.tar"
    ba_export+=("$(time_ms "${BUILDAH[@]}" push -q big:buildah "oci-archive:$work/buildah.tar")")
  done
  ba_bytes=$(largest_blob "$work/buildah.tar")
else
  echo "buildah: not installed (apt-get install buildah), skipped"
fi
find_docker
if [ "$docker_ok" = 1 ]; then
  "$docker" load -q -i "$work/busybox-docker.tar" >/dev/null
  docker_tags+=(bt-bench-big:docker)
  DOCKER_BUILDKIT=1 "$docker" build -q --network=host --build-arg BASE=busybox:latest -t bt-bench-big:docker "$work/ctx" >/dev/null
  for i in $(seq 1 "$reps"); do
    dk_port=$((port + 2 * reps + 1 + i))
    "$shared/bench/registry.sh" start "$work/reg-dk$i" "$dk_port" >/dev/null
    "$docker" tag bt-bench-big:docker "127.0.0.1:$dk_port/big:1"
    docker_tags+=("127.0.0.1:$dk_port/big:1")
    dk_push+=("$(time_ms "$docker" push "127.0.0.1:$dk_port/big:1")")
    dk_bytes=$(curl -s -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
      "http://127.0.0.1:$dk_port/v2/big/manifests/1" | jq '[.layers[].size] | max')
    "$shared/bench/registry.sh" stop "$work/reg-dk$i" >/dev/null 2>&1 || true
  done
else
  echo "docker: no daemon answers (start dockerd), skipped"
fi

m() { printf '%s\n' "$@" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 1) }'; }
echo "| phase | buildtool (median ms) | skopeo (median ms) | buildtool / skopeo |"
echo "|---|---|---|---|"
echo "| push | $(m "${bt_push[@]}") | $(m "${sk_push[@]}") | $(ratio "$(m "${bt_push[@]}")" "$(m "${sk_push[@]}")") |"
echo "| pull | $(m "${bt_pull[@]}") | $(m "${sk_pull[@]}") | $(ratio "$(m "${bt_pull[@]}")" "$(m "${sk_pull[@]}")") |"
awk -v ms="$export_median" -v in_bytes="$layer_bytes" -v out="$archive_bytes" 'BEGIN {
  printf "export (gzip, all cores): %.0f ms for %.0f MB of snapshots: %.1f MB/s in, archive %.1f MB (ratio %.2f)\n",
    ms, in_bytes / 1e6, in_bytes / 1e6 / (ms / 1000), out / 1e6, in_bytes / out }'
# The gzip of the same layer by each tool: MB/s of uncompressed layer, and the ratio.
biggest=$(tar -tvf "$work/export.tar" | awk '$6 ~ /^blobs\/sha256\// {print $3, $6}' | sort -n | tail -n 1)
bt_bytes=${biggest%% *}
layer_tar_bytes=$(tar -xOf "$work/export.tar" "${biggest#* }" | gzip -dc | wc -c)
gzip_row() {  # TOOL WHAT MS BYTES
  [ -n "$3" ] && [ "$4" -gt 0 ] || return 0
  awk -v t="$1" -v w="$2" -v ms="$3" -v in_bytes="$layer_tar_bytes" -v out="$4" -v bt="$export_median" 'BEGIN {
    printf "| %s | %s | %.0f | %.1f | %.1f | %.2f | %.2f |\n", t, w, ms, in_bytes / 1e6 / (ms / 1000), out / 1e6, in_bytes / out, ms / bt }'
}
echo
echo "gzip of the big-layer layer ($((layer_tar_bytes / 1000000)) MB of tar), median of $reps:"
echo "| tool | how | ms | MB/s | layer MB | ratio | time / buildtool's |"
echo "|---|---|---|---|---|---|---|"
gzip_row buildtool "build -o type=oci,force-compression=true (cached RUN)" "$export_median" "$bt_bytes"
gzip_row buildah "push oci-archive:" "$( [ ${#ba_export[@]} -gt 0 ] && m "${ba_export[@]}")" "$ba_bytes"
gzip_row "docker (BuildKit)" "push to an empty registry" "$( [ ${#dk_push[@]} -gt 0 ] && m "${dk_push[@]}")" "$dk_bytes"
