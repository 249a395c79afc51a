#!/usr/bin/env bash
# Image outputs end to end (issue 7), each checked by tools that are not buildtool: skopeo
# reads the OCI archive, the OCI directory, the docker archive and the local image store;
# umoci unpacks the layout; the semantics corpus's extract.sh describes the image (config and
# files, whiteouts applied); docker loads the docker archive when a daemon answers. Also: two
# builds on two empty roots with SOURCE_DATE_EPOCH and rewrite-timestamp give the same digest,
# and prune keeps what the image store names.
#
#   image_output_test.sh BUILDTOOL SHARED_DIR SOURCE_DIR
set -uo pipefail
export LC_ALL=C
buildtool=$1
extract=$2/conformance/semantics/extract.sh
source_dir=$3
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok   $*"; }
expect_eq() {  # WHAT EXPECTED ACTUAL
  if [ "$2" != "$3" ]; then fail "$1: expected [$2], got [$3]"; else ok "$1"; fi
}

if [ "$(id -u)" != 0 ]; then echo "SKIPPED: needs root (extract.sh, the sandbox)"; exit 0; fi
for tool in skopeo umoci jq; do
  command -v "$tool" >/dev/null || { echo "FAILED: $tool is missing (.ci/install-deps)"; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/bt-e2e-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
ctx=$work/ctx
mkdir -p "$ctx/sub"
echo hello >"$ctx/a.txt"
echo nested >"$ctx/sub/b.txt"
chmod 0640 "$ctx/sub/b.txt"
touch -d '2020-01-01' "$ctx/a.txt" "$ctx/sub/b.txt" "$ctx/sub"
cat >"$ctx/Dockerfile" <<'EOF'
FROM scratch
COPY a.txt /a.txt
ENV GREETING=hi
COPY --chown=7:8 sub /sub
LABEL org.example.kind=test
CMD ["/a.txt"]
EOF

build() {  # FLAGS...
  "$buildtool" build --root "$root" --progress plain "$@" "$ctx" >"$work/stdout" 2>"$work/log"
  rc=$?
}

build -o "type=oci,dest=$work/img.oci.tar" -o "type=docker,dest=$work/img.docker.tar" \
  -o "type=oci,dest=$work/img.dir,tar=false" -t app:1
expect_eq "a build with image outputs exits 0" 0 "$rc"
digest=$(tail -n 1 "$work/stdout")
[[ $digest == sha256:* ]] && ok "the image digest is printed ($digest)" || fail "no digest printed: $(cat "$work/stdout")"

# skopeo, on every form.
inspect=$(skopeo inspect "oci-archive:$work/img.oci.tar" 2>&1)
expect_eq "skopeo reads the OCI archive: env" '["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","GREETING=hi"]' \
  "$(jq -c .Env <<<"$inspect")"
expect_eq "skopeo reads the OCI archive: two layers" 2 "$(jq '.Layers | length' <<<"$inspect")"
expect_eq "skopeo reads the OCI archive: the label" test "$(jq -r '.Labels["org.example.kind"]' <<<"$inspect")"
expect_eq "one build's image outputs are one image: the OCI directory holds the archive's" \
  "$(jq -r .Digest <<<"$inspect")" "$(skopeo inspect "oci:$work/img.dir:1" 2>&1 | jq -r .Digest)"
expect_eq "skopeo reads the docker archive" 2 "$(skopeo inspect "docker-archive:$work/img.docker.tar" 2>&1 | jq '.Layers | length')"
raw=$(skopeo inspect --raw "docker-archive:$work/img.docker.tar" 2>&1)
expect_eq "the docker archive has Docker media types" application/vnd.docker.distribution.manifest.v2+json \
  "$(jq -r .mediaType <<<"$raw")"

# umoci: the layout unpacks to the files, with their owners and modes.
mkdir -p "$work/layout" && tar -xf "$work/img.oci.tar" -C "$work/layout"
if umoci unpack --image "$work/layout:1" "$work/bundle" >/dev/null 2>&1; then
  expect_eq "umoci unpacks the files" "hello|nested" \
    "$(cat "$work/bundle/rootfs/a.txt" "$work/bundle/rootfs/sub/b.txt" | paste -sd '|')"
  expect_eq "umoci keeps owner and mode" "7:8 640" "$(stat -c '%u:%g %a' "$work/bundle/rootfs/sub/b.txt")"
else
  fail "umoci unpack: $(umoci unpack --image "$work/layout:1" "$work/bundle2" 2>&1 | tail -n 2)"
fi

# extract.sh: what the semantics corpus would judge.
if bash "$extract" "$work/img.oci.tar" "$work/judged" >"$work/extract.log" 2>&1; then
  expect_eq "extract.sh: the config" '["/a.txt"]' "$(jq -c .Cmd "$work/judged/config.json")"
  expect_eq "extract.sh: the files" \
    "/a.txt file 0644 0:0 6|/sub dir 0755 7:8 -|/sub/b.txt file 0640 7:8 7" \
    "$(cut -d' ' -f1-5 "$work/judged/files.txt" | paste -sd '|')"
else
  fail "extract.sh on the OCI archive: $(tail -n 3 "$work/extract.log")"
fi

# The local image store, by name, from outside: -t without an image output stores it there.
build -t app:1
expect_eq "-t alone exits 0" 0 "$rc"
digest=$(tail -n 1 "$work/stdout")
expect_eq "-t stores the image where skopeo finds it" "$digest" \
  "$(skopeo inspect "oci:$root/images:docker.io/library/app:1" 2>&1 | jq -r .Digest)"
# A rebuild that the cache answers whole makes the very same image (the dates are the layers').
"$buildtool" build --root "$root" -q -t app:1 "$ctx" >"$work/again.out" 2>/dev/null
expect_eq "a fully cached rebuild makes the same image digest" "$digest" "$(cat "$work/again.out")"

"$buildtool" prune --root "$root" >/dev/null 2>&1
expect_eq "prune keeps the stored image's blobs" "$digest" \
  "$(skopeo inspect "oci:$root/images:docker.io/library/app:1" 2>&1 | jq -r .Digest)"
check=$("$buildtool" du --check --root "$root" 2>&1)
[ $? = 0 ] && ok "du --check after prune: $check" || fail "du --check after prune: $check"

# A second export compresses nothing new: the same layer blobs.
build -o "type=oci,dest=$work/again.oci.tar"
expect_eq "re-exporting gives the same layers" "$(jq -c .Layers <<<"$inspect")" \
  "$(skopeo inspect "oci-archive:$work/again.oci.tar" 2>&1 | jq -c .Layers)"

# Reproducible: two empty roots, SOURCE_DATE_EPOCH, rewrite-timestamp.
for r in 1 2; do
  SOURCE_DATE_EPOCH=1700000000 "$buildtool" build --root "$work/repro$r" --progress quiet \
    -o "type=oci,dest=$work/repro$r.tar,rewrite-timestamp=true" "$ctx" >"$work/repro$r.out" 2>&1
done
d1=$(tail -n 1 "$work/repro1.out"); d2=$(tail -n 1 "$work/repro2.out")
[ -n "$d1" ] && [ "$d1" = "$d2" ] && ok "two empty roots build the same image digest ($d1)" ||
  fail "reproducible digest: [$d1] vs [$d2]"
expect_eq "SOURCE_DATE_EPOCH dates the image" 2023-11-14T22:13:20Z \
  "$(skopeo inspect "oci-archive:$work/repro1.tar" 2>&1 | jq -r .Created)"

# -q, --label, --iidfile, --metadata-file.
"$buildtool" build --root "$root" -q -t labelled:1 --label team=build --label "note=a b" \
  --iidfile "$work/iid" --metadata-file "$work/meta.json" "$ctx" >"$work/stdout" 2>"$work/log"
expect_eq "-q prints the digest and nothing else" "$(cat "$work/iid")" "$(cat "$work/stdout")"
expect_eq "-q shows no progress" "" "$(cat "$work/log")"
expect_eq "--metadata-file has the digest and the name" "$(cat "$work/iid") docker.io/library/labelled:1" \
  "$(jq -r '."containerimage.digest" + " " + ."image.name"' "$work/meta.json")"
expect_eq "--label adds to the Dockerfile's labels" '{"note":"a b","org.example.kind":"test","team":"build"}' \
  "$("$buildtool" inspect --root "$root" labelled:1 | jq -c .Config.config.Labels)"
build --label novalue
[ $rc = 2 ] && ok "--label without = is refused" || fail "--label novalue: rc=$rc"

# Refused before anything runs.
build -o "type=image"
[ $rc = 2 ] && grep -q "needs a name" "$work/log" && ok "type=image without a name is refused" ||
  fail "type=image without a name: rc=$rc $(tail -n 1 "$work/log")"
build -o "type=oci,dest=$work/x.tar,compression=lzma"
[ $rc = 2 ] && grep -q "invalid compression=lzma" "$work/log" && ok "an unknown compression is refused" ||
  fail "compression=lzma: rc=$rc $(tail -n 1 "$work/log")"

# A deletion becomes an OCI whiteout (needs RUN: the sandbox, on a busybox base).
base=$work/base
sh "$source_dir/tests/example/make-busybox-rootfs.sh" "$base" >/dev/null
cat >"$ctx/Dockerfile.wh" <<'EOF'
FROM busybox
RUN rm /bin/ls && mkdir /made
EOF
"$buildtool" build --root "$root" --progress plain --build-context "busybox=$base" \
  -f "$ctx/Dockerfile.wh" -o "type=oci,dest=$work/wh.tar" "$ctx" >"$work/stdout" 2>"$work/log"
if [ $? = 0 ]; then
  tar -xf "$work/wh.tar" -C "$work" blobs index.json 2>/dev/null
  mkdir -p "$work/whl" && tar -xf "$work/wh.tar" -C "$work/whl"
  manifest=$(jq -r '.manifests[0].digest' "$work/whl/index.json")
  top=$(jq -r '.layers[-1].digest' "$work/whl/blobs/sha256/${manifest#sha256:}")
  expect_eq "the deletion is a .wh. entry in the top layer" "bin/.wh.ls" \
    "$(tar -tzf "$work/whl/blobs/sha256/${top#sha256:}" | grep '\.wh\.')"
  bash "$extract" "$work/wh.tar" "$work/whjudged" >/dev/null 2>&1
  grep -q '^/bin/ls ' "$work/whjudged/files.txt" && fail "/bin/ls survived the whiteout" ||
    ok "extract.sh applies the whiteout: no /bin/ls"
  grep -q '^/made dir' "$work/whjudged/files.txt" && ok "and the new directory is there" ||
    fail "/made missing from files.txt"
else
  fail "the whiteout build failed: $(tail -n 5 "$work/log")"
fi

# The store's commands: import (as docker import), FROM the imported image, tag, images,
# inspect, save, rmi, and load of both archive kinds.
tar -C "$base" --numeric-owner -cf "$work/base.tar" .
imported=$("$buildtool" import --root "$root" "$work/base.tar" bb:1 2>&1)
[[ $imported == sha256:* ]] && ok "import prints the image digest" || fail "import: $imported"
expect_eq "the imported layer is the tar itself (its diffID)" "sha256:$(sha256sum "$work/base.tar" | cut -d' ' -f1)" \
  "$("$buildtool" inspect --root "$root" bb:1 | jq -r '.Config.rootfs.diff_ids[0]')"
# Compressed, as docker import takes it: the same layer (the tar's own digest) whatever the
# compression; something that is no tar is refused.
for z in "gzip -c" "bzip2 -c" "xz -T1 -c" "zstd -q -c"; do
  $z "$work/base.tar" >"$work/base.tar.z"
  "$buildtool" import --root "$work/root-z" "$work/base.tar.z" bbz:1 >/dev/null 2>"$work/log"
  expect_eq "import of a tar compressed by ${z%% *} stores the tar itself" "sha256:$(sha256sum "$work/base.tar" | cut -d' ' -f1)" \
    "$("$buildtool" inspect --root "$work/root-z" bbz:1 2>/dev/null | jq -r '.Config.rootfs.diff_ids[0]')"
done
head -c 4096 /dev/urandom | gzip -c >"$work/noise.gz"
"$buildtool" import --root "$work/root-z" "$work/noise.gz" noise:1 >"$work/log" 2>&1
[ $? = 1 ] && grep -q "not a tar archive" "$work/log" && ok "import of compressed noise is refused" || fail "noise import: $(cat "$work/log")"
printf 'FROM bb:1\nRUN echo built > /built\n' >"$ctx/Dockerfile.from"
"$buildtool" build --root "$root" --progress quiet -f "$ctx/Dockerfile.from" -t from:1 "$ctx" >"$work/stdout" 2>"$work/log"
expect_eq "FROM an imported image builds" 0 "$?"
"$buildtool" save --root "$root" from:1 -o "$work/from.tar"
"$buildtool" save --root "$root" bb:1 -o "$work/bb-saved.tar"
bash "$extract" "$work/from.tar" "$work/fromjudged" "$work/bb-saved.tar" >/dev/null 2>&1
expect_eq "the base is the imported layer, unchanged (extract.sh finds it)" "base-layers 1" \
  "$(head -n 1 "$work/fromjudged/layers.txt")"
expect_eq "and the build's own file is on it" "/built file 0644 0:0 6" "$(grep '^/built' "$work/fromjudged/files.txt" | cut -d' ' -f1-5)"
"$buildtool" tag --root "$root" from:1 registry.example:5000/team/from:2
expect_eq "tag adds a name to the same image" "$("$buildtool" inspect --root "$root" from:1 | jq -r .Digest)" \
  "$("$buildtool" inspect --root "$root" registry.example:5000/team/from:2 | jq -r .Digest)"
listing=$("$buildtool" images --root "$root")
grep -q "^registry.example:5000/team/from *2 " <<<"$listing" && grep -q "^bb *1 " <<<"$listing" &&
  ok "images lists the names" || fail "images: $listing"
"$buildtool" rmi --root "$root" registry.example:5000/team/from:2 >/dev/null
"$buildtool" inspect --root "$root" registry.example:5000/team/from:2 >/dev/null 2>&1
[ $? = 1 ] && ok "rmi removes the name" || fail "rmi left the name"
"$buildtool" rmi --root "$root" no-such:1 >/dev/null 2>&1
[ $? = 1 ] && ok "rmi of an unknown name fails" || fail "rmi of an unknown name succeeded"

root2=$work/root-load
"$buildtool" load --root "$root2" -i "$work/from.tar" >"$work/load.out" 2>&1
expect_eq "load of an OCI archive names it" "Loaded image: from:1" "$(cat "$work/load.out")"
expect_eq "and it is the same image" "$("$buildtool" inspect --root "$root" from:1 | jq -r .Digest)" \
  "$("$buildtool" inspect --root "$root2" from:1 | jq -r .Digest)"
# A docker-archive as `docker save` wrote them before OCI layouts: manifest.json, a config
# named by its digest, layer.tar files.
legacy=$work/legacy
mkdir -p "$legacy/abc"
cp "$work/base.tar" "$legacy/abc/layer.tar"
jq -n --arg id "sha256:$(sha256sum "$work/base.tar" | cut -d' ' -f1)" \
  '{architecture: "amd64", os: "linux", config: {Env: ["A=1"]}, rootfs: {type: "layers", diff_ids: [$id]}}' >"$legacy/config.json"
cfg=$(sha256sum "$legacy/config.json" | cut -d' ' -f1)
mv "$legacy/config.json" "$legacy/$cfg.json"
jq -n --arg c "$cfg.json" '[{Config: $c, RepoTags: ["legacy:1"], Layers: ["abc/layer.tar"]}]' >"$legacy/manifest.json"
tar -C "$legacy" -cf "$work/legacy.tar" .
"$buildtool" load --root "$root2" -i "$work/legacy.tar" >"$work/load.out" 2>&1
expect_eq "load of a legacy docker-archive names it" "Loaded image: legacy:1" "$(cat "$work/load.out")"
expect_eq "and keeps its config" '["A=1"]' "$("$buildtool" inspect --root "$root2" legacy:1 | jq -c .Config.config.Env)"
# A layer that is not what the config says is refused.
echo tampered >>"$legacy/abc/layer.tar"
tar -C "$legacy" -cf "$work/tampered.tar" .
"$buildtool" load --root "$root2" -i "$work/tampered.tar" >"$work/load.out" 2>&1
[ $? = 1 ] && grep -q "the config says" "$work/load.out" && ok "load refuses a layer that is not its diffID" ||
  fail "tampered load: $(cat "$work/load.out")"
# An archive entry that climbs out is refused.
mkdir -p "$work/evil" && echo x >"$work/evil/x"
tar -C "$work/evil" -cf "$work/evil.tar" --transform 's|^\./x|../../escape|' ./x
"$buildtool" load --root "$root2" -i "$work/evil.tar" >"$work/load.out" 2>&1
[ $? = 1 ] && grep -q "unsafe entry name" "$work/load.out" && ok "load refuses a path that climbs out" ||
  fail "evil load: $(cat "$work/load.out")"

# An image whose config lists a diffID its layer does not unpack to: loaded (its blobs match
# their digests), then refused when a build unpacks it.
lied=$work/lied
mkdir -p "$lied" && tar -xf "$work/from.tar" -C "$lied"
man=$(jq -r '.manifests[0].digest' "$lied/index.json"); man=${man#sha256:}
cfg=$(jq -r '.config.digest' "$lied/blobs/sha256/$man"); cfg=${cfg#sha256:}
jq -c '.rootfs.diff_ids[-1] = "sha256:'"$(printf '%064d' 0)"'"' "$lied/blobs/sha256/$cfg" >"$work/cfg.json"
ncfg=$(sha256sum "$work/cfg.json" | cut -d' ' -f1)
cp "$work/cfg.json" "$lied/blobs/sha256/$ncfg"
jq -c --arg d "sha256:$ncfg" --argjson n "$(stat -c %s "$work/cfg.json")" '.config.digest = $d | .config.size = $n' \
  "$lied/blobs/sha256/$man" >"$work/man.json"
nman=$(sha256sum "$work/man.json" | cut -d' ' -f1)
cp "$work/man.json" "$lied/blobs/sha256/$nman"
jq -c --arg d "sha256:$nman" --argjson n "$(stat -c %s "$work/man.json")" \
  '.manifests[0].digest = $d | .manifests[0].size = $n | .manifests[0].annotations["io.containerd.image.name"] = "docker.io/library/lied:1"' \
  "$lied/index.json" >"$work/index.json" && cp "$work/index.json" "$lied/index.json"
"$buildtool" load --root "$root2" -i "$lied" >"$work/load.out" 2>&1 || fail "load of a layout directory: $(cat "$work/load.out")"
printf 'FROM lied:1\nRUN true\n' >"$ctx/Dockerfile.lied"
"$buildtool" build --root "$root2" --progress plain -f "$ctx/Dockerfile.lied" "$ctx" >"$work/stdout" 2>"$work/log"
[ $? = 1 ] && grep -q "and the config says" "$work/log" && ok "a layer that does not unpack to its diffID is refused" ||
  fail "wrong diffID: $(tail -n 3 "$work/log")"

# docker load, where a daemon answers.
if docker_bin=$(command -v /usr/bin/docker || command -v docker) && timeout 5 "$docker_bin" info >/dev/null 2>&1; then
  if out=$("$docker_bin" load -i "$work/img.docker.tar" 2>&1) && grep -q "app:1" <<<"$out"; then
    ok "docker loads the docker archive ($out)"
  else
    fail "docker load: $out"
  fi
else
  echo "note: no docker daemon answered; docker load not checked"
fi

[ $failures = 0 ] && echo "image outputs: all checks passed" || echo "image outputs: $failures failed"
[ $failures = 0 ]
