#!/usr/bin/env bash
# Every case of ../shared/conformance/semantics, built end to end by `buildtool build` and
# judged by the corpus's own extract.sh (README.md there): the final filesystem comes out as
# `--output type=tar`, the image config from `buildtool debug ir`, and the two are wrapped as
# a docker-archive for the judge. Cases FROM bb:latest get the base of make-base.sh as
# `--build-context bb:latest=DIR` (until image sources exist, issue 7); their archive is the
# base's layer, then the output tar, then whiteouts for the base paths the build deleted, so
# extract.sh subtracts the base as it does for BuildKit's images. Tier 1 (config.json and
# files.txt identical to what BuildKit produced) is what is required; layers.txt is not
# compared, since a tar output has one layer. Negative cases must fail. Cases that RUN or
# need the base are skipped, with the reason, where the sandbox cannot work (a chroot).
# Prints one line per case and "N/M" totals; exits 1 if any case fails.
#
#   semantics_test.sh BUILDTOOL SHARED_DIR
set -uo pipefail
export LC_ALL=C
buildtool=$1
cases_dir=$2/conformance/semantics/cases
extract=$2/conformance/semantics/extract.sh

if [ "$(id -u)" != 0 ]; then
  echo "SKIPPED: extract.sh and the case contexts need root"
  exit 0
fi
for tool in jq sha256sum tar; do
  command -v "$tool" >/dev/null || { echo "FAILED: $tool is missing (.ci/install-deps)"; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/bt-semantics.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root

# The context as README.md "Building a case" says: owners 0:0, directories 0755, files
# 0755 or 0644 by their owner-execute bit, then `prepare` with umask 022.
prepare_context() {
  local case=$1 ctx=$2
  mkdir -p "$ctx"
  if [ -d "$case/context" ]; then cp -a "$case/context/." "$ctx/"; fi
  chown -R 0:0 "$ctx"
  find "$ctx" -type d -exec chmod 0755 {} +
  find "$ctx" -type f -perm -u+x -exec chmod 0755 {} +
  find "$ctx" -type f ! -perm -u+x -exec chmod 0644 {} +
  if [ -f "$case/prepare" ]; then (cd "$ctx" && umask 022 && bash "$case/prepare") || return 1; fi
}

# The build flags of `args` (blank and # lines ignored).
case_args() {
  [ -f "$1/args" ] || return 0
  grep -v '^[[:space:]]*\(#\|$\)' "$1/args"
}

# make_archive DIR CONFIG LAYER...: a docker-archive holding the config and the layers.
make_archive() {
  local dir=$1 config=$2; shift 2
  mkdir -p "$dir"
  local ids=() names=() i=0
  for layer in "$@"; do
    i=$((i + 1))
    cp "$layer" "$dir/layer$i.tar"
    ids+=("sha256:$(sha256sum "$layer" | cut -d' ' -f1)")
    names+=("layer$i.tar")
  done
  jq '.rootfs = {type: "layers", diff_ids: $ARGS.positional}' "$config" --args "${ids[@]}" >"$dir/config.json"
  jq -n --args '[{Config: "config.json", RepoTags: null, Layers: $ARGS.positional}]' "${names[@]}" >"$dir/manifest.json"
}

# The base bb:latest as ../shared/conformance/semantics/make-base.sh makes it: busybox-static,
# its 28 applet links, /etc/passwd and /etc/group with root only, empty /root and /tmp.
base=$work/base
mkdir -p "$base"/{bin,etc,root,tmp}
cp /bin/busybox "$base/bin/busybox"
for a in cat chmod chown cp echo env false find grep gzip head id ln ls mkdir mv rm sed sh \
         sleep sort stat tail tar test touch true wc; do
  ln -s busybox "$base/bin/$a"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$base/etc/passwd"
echo 'root:x:0:' >"$base/etc/group"
chmod 0755 "$base" "$base"/{bin,etc,root,tmp} "$base/bin/busybox"
chmod 0644 "$base"/etc/{passwd,group}
chown -R 0:0 "$base"
tar -C "$base" --numeric-owner -cf "$work/base.tar" .
make_archive "$work/base-image" <(echo '{"architecture":"amd64","os":"linux","config":{}}') "$work/base.tar"
(cd "$base" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort) >"$work/base.paths"

# whiteouts OUT.tar WH.tar: a layer of whiteouts for the base paths OUT.tar no longer has
# (only the topmost missing path of a deleted tree).
whiteouts() {
  local out=$1 wh=$2 dir; dir=$(mktemp -d "$work/wh.XXXXXX")
  tar -tf "$out" | sed 's|^\./||; s|/$||' | grep -v '^\.\?$' | LC_ALL=C sort -u >"$dir.paths"
  comm -23 "$work/base.paths" "$dir.paths" | while read -r p; do
    local parent; parent=$(dirname "$p")
    if [ "$parent" = . ] || grep -qxF "$parent" "$dir.paths"; then
      mkdir -p "$dir/$parent" && : >"$dir/$parent/.wh.$(basename "$p")"
    fi
  done
  tar -C "$dir" --numeric-owner -cf "$wh" .
}

# Whether RUN can sandbox here (root, namespaces, "/" a mount point); else why not.
sandbox_skip_reason() {
  unshare --mount --pid --uts --ipc --net --fork true 2>/dev/null || { echo "no namespaces here"; return; }
  awk '$5 == "/" {found=1} END {exit !found}' /proc/self/mountinfo || echo "\"/\" is not a mount point (a chroot)"
}
no_sandbox=$(sandbox_skip_reason)

# Where buildtool follows current BuildKit rather than the reference the corpus was made
# with (dockerd 20.10's BuildKit), for a reason worth the difference. Such a case is reported
# as "known" and does not fail the run; it is not counted as a pass either.
declare -A known=(
  [user-forms]="the primary gid is among a RUN process's groups (BuildKit's ensureAdditionalGids since the CVE-2023-25173 fix); 20.10's id printed only the supplementary ones"
)

pass=0 total=0 neg_pass=0 neg_total=0 skipped=0 known_count=0
for case in "$cases_dir"/*/; do
  case=${case%/}
  name=$(basename "$case")
  uses_base=0
  grep -q 'bb:latest' "$case/Dockerfile" && uses_base=1
  if [ -n "$no_sandbox" ] && { [ $uses_base = 1 ] || grep -qiE '^[[:space:]]*RUN([[:space:]]|$)' "$case/Dockerfile"; }; then
    echo "skip $name: RUN cannot sandbox here ($no_sandbox)"; skipped=$((skipped + 1)); continue
  fi
  base_flags=()
  [ $uses_base = 1 ] && base_flags=(--build-context "bb:latest=$base")
  ctx=$work/$name/context
  mapfile -t args < <(case_args "$case")
  if ! prepare_context "$case" "$ctx"; then
    echo "FAIL $name: prepare failed"; total=$((total + 1)); continue
  fi
  out=$work/$name/out.tar
  log=$work/$name/build.log
  "$buildtool" build --root "$root" --progress plain --no-cache -f "$case/Dockerfile" \
    "${base_flags[@]}" "${args[@]}" -o "type=tar,dest=$out" "$ctx" >"$log" 2>&1
  status=$?
  if [ -f "$case/expected/error.txt" ]; then
    neg_total=$((neg_total + 1))
    if [ $status -ne 0 ]; then
      neg_pass=$((neg_pass + 1)); echo "ok   $name (rejected: $(tail -n 3 "$log" | tr '\n' ' ' | cut -c1-120))"
    else
      echo "FAIL $name: built, but BuildKit rejects it: $(cat "$case/expected/error.txt")"
    fi
    continue
  fi
  total=$((total + 1))
  if [ $status -ne 0 ]; then
    echo "FAIL $name: build failed:"; tail -n 15 "$log" | sed 's/^/    /'; continue
  fi
  if ! "$buildtool" debug ir -f "$case/Dockerfile" "${base_flags[@]}" "${args[@]}" "$ctx" 2>/dev/null |
    jq '.image_config' >"$work/$name/config.json"; then
    echo "FAIL $name: debug ir failed"; continue
  fi
  judge_base=()
  # The final image is on the base when the base's busybox is in it (a case may use bb:latest
  # only in an earlier stage).
  if [ $uses_base = 1 ] && tar -tf "$out" | grep -x '\(\./\)\?bin/busybox' >/dev/null; then
    # A --build-context directory starts from scratch's config (WorkingDir "/", as buildx
    # does); bb:latest, made by `docker import`, has none. Unless a WORKDIR set it, the stand-in
    # must not show.
    if ! grep -qiE '^[[:space:]]*WORKDIR' "$case/Dockerfile"; then
      jq 'if .config.WorkingDir == "/" then .config.WorkingDir = "" else . end' \
        "$work/$name/config.json" >"$work/$name/config.fixed" && mv "$work/$name/config.fixed" "$work/$name/config.json"
    fi
    whiteouts "$out" "$work/$name/wh.tar"
    make_archive "$work/$name/image" "$work/$name/config.json" "$work/base.tar" "$out" "$work/$name/wh.tar"
    judge_base=("$work/base-image")
  else
    make_archive "$work/$name/image" "$work/$name/config.json" "$out"
  fi
  if ! "$extract" "$work/$name/image" "$work/$name/got" "${judge_base[@]}" >"$work/$name/extract.log" 2>&1; then
    echo "FAIL $name: extract.sh failed: $(tail -n 3 "$work/$name/extract.log")"; continue
  fi
  ok=1
  for f in config.json files.txt; do
    if ! diff -u "$case/expected/$f" "$work/$name/got/$f" >"$work/$name/$f.diff"; then
      ok=0; echo "${known[$name]:+(known) }FAIL $name: $f differs:"; head -n 20 "$work/$name/$f.diff" | sed 's/^/    /'
    fi
  done
  if [ $ok = 1 ]; then pass=$((pass + 1)); echo "ok   $name"
  elif [ -n "${known[$name]:-}" ]; then
    known_count=$((known_count + 1)); echo "known $name: ${known[$name]}"
  fi
done
echo "semantics: tier 1 $pass/$total, known differences $known_count, negatives rejected $neg_pass/$neg_total, skipped $skipped"
[ $((pass + known_count)) = $total ] && [ $neg_pass = $neg_total ]
