#!/usr/bin/env bash
# The cases of ../shared/conformance/semantics that build without RUN and without a base
# image, built end to end by `buildtool build` and judged by the corpus's own extract.sh
# (README.md there): the final filesystem comes out as `--output type=tar`, the image config
# from `buildtool debug ir`, and the two are wrapped as a one-layer docker-archive for the
# judge. Tier 1 (config.json and files.txt identical to what BuildKit produced) is what is
# required; layers.txt is not compared, since a tar output has one layer. Negative cases must
# fail. Prints one line per case and "N/M" totals; exits 1 if any case fails.
#
#   semantics_scratch_test.sh BUILDTOOL SHARED_DIR
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

# A docker-archive holding the config and the one layer.
make_archive() {
  local dir=$1 config=$2 layer=$3
  mkdir -p "$dir"
  cp "$layer" "$dir/layer.tar"
  local diff_id; diff_id=sha256:$(sha256sum "$layer" | cut -d' ' -f1)
  jq --arg d "$diff_id" '.rootfs = {type: "layers", diff_ids: [$d]}' "$config" >"$dir/config.json"
  echo '[{"Config":"config.json","RepoTags":null,"Layers":["layer.tar"]}]' >"$dir/manifest.json"
}

pass=0 total=0 neg_pass=0 neg_total=0
for case in "$cases_dir"/*/; do
  case=${case%/}
  name=$(basename "$case")
  grep -q 'bb:latest' "$case/Dockerfile" && continue
  grep -qiE '^[[:space:]]*RUN([[:space:]]|$)' "$case/Dockerfile" && continue
  ctx=$work/$name/context
  mapfile -t args < <(case_args "$case")
  if ! prepare_context "$case" "$ctx"; then
    echo "FAIL $name: prepare failed"; total=$((total + 1)); continue
  fi
  out=$work/$name/out.tar
  log=$work/$name/build.log
  "$buildtool" build --root "$root" --progress plain --no-cache -f "$case/Dockerfile" \
    "${args[@]}" -o "type=tar,dest=$out" "$ctx" >"$log" 2>&1
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
  if ! "$buildtool" debug ir -f "$case/Dockerfile" "${args[@]}" "$ctx" 2>/dev/null |
    jq '.image_config' >"$work/$name/config.json"; then
    echo "FAIL $name: debug ir failed"; continue
  fi
  make_archive "$work/$name/image" "$work/$name/config.json" "$out"
  if ! "$extract" "$work/$name/image" "$work/$name/got" >"$work/$name/extract.log" 2>&1; then
    echo "FAIL $name: extract.sh failed: $(tail -n 3 "$work/$name/extract.log")"; continue
  fi
  ok=1
  for f in config.json files.txt; do
    if ! diff -u "$case/expected/$f" "$work/$name/got/$f" >"$work/$name/$f.diff"; then
      ok=0; echo "FAIL $name: $f differs:"; head -n 20 "$work/$name/$f.diff" | sed 's/^/    /'
    fi
  done
  if [ $ok = 1 ]; then pass=$((pass + 1)); echo "ok   $name"; fi
done
echo "semantics (FROM scratch, no RUN): tier 1 $pass/$total, negatives rejected $neg_pass/$neg_total"
[ $pass = $total ] && [ $neg_pass = $neg_total ]
