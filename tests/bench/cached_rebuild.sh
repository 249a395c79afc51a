#!/usr/bin/env bash
# cached_rebuild.sh — issue 5's benchmark: the fully cached rebuild of ../shared/bench's
# big-context and many-steps workloads in their FROM scratch form (BASE=scratch; many-steps
# without its RUN lines, which need the sandbox), buildtool against docker's BuildKit in the
# same run. Prints medians of REPS warm runs and the ratio. Not a test: a benchmark.
#
#   tests/bench/cached_rebuild.sh BUILDTOOL [REPS]
# Docker is measured when a daemon answers (DOCKER_HOST or /var/run/docker.sock), else
# skipped with a note; start one with `dockerd --data-root DIR` (Debian's docker.io).
set -euo pipefail
buildtool=$(realpath "$1")
reps=${2:-7}
shared=$(cd "$(dirname "$0")/../../../shared" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/bt-bench-cached.XXXXXX")
trap 'rm -rf "$work"' EXIT

. "$(dirname "$0")/bench_lib.sh"

# time_runs N CMD...: runs CMD N times, prints each wall time in ms.
time_runs() {
  local n=$1; shift
  for _ in $(seq 1 "$n"); do
    local now t0; now_us; t0=$now
    "$@" >/dev/null 2>&1
    now_us; ms_between "$t0" "$now"
  done
}

prepare() {  # WORKLOAD CTX
  "$shared/bench/workloads/$1/prepare.sh" "$2" >/dev/null
  cp "$shared/bench/workloads/$1/Dockerfile" "$2/Dockerfile"
  # FROM scratch variants: RUN needs a base image, which comes with issue 7.
  sed -i '/^RUN /d' "$2/Dockerfile"
}

find_docker

printf '| workload | buildtool cold | buildtool warm (median) | docker cold | docker warm (median) | warm ratio |\n'
printf '|---|---|---|---|---|---|\n'
for workload in big-context many-steps; do
  ctx=$work/$workload
  prepare "$workload" "$ctx"
  # A fresh checkout is older than the stat cache's 2 s racy margin by the time it is built
  # twice; a context generated this very second would be re-hashed instead.
  sleep 2.5
  root=$work/root-$workload
  bt=("$buildtool" build --root "$root" --progress quiet --build-arg BASE=scratch "$ctx")
  bt_cold=$(time_runs 1 "${bt[@]}")
  bt_warm=$(time_runs "$reps" "${bt[@]}" | median)
  dk_cold=- dk_warm=- ratio=-
  if [ $docker_ok = 1 ]; then
    dk=(env DOCKER_BUILDKIT=1 "$docker" build -q --build-arg BASE=scratch "$ctx")
    "$docker" builder prune -af >/dev/null 2>&1 || true
    dk_cold=$(time_runs 1 "${dk[@]}")
    dk_warm=$(time_runs "$reps" "${dk[@]}" | median)
    ratio=$(awk -v d="$dk_warm" -v b="$bt_warm" 'BEGIN { printf "%.1fx", d / (b > 0 ? b : 1) }')
  fi
  printf '| %s | %s ms | %s ms | %s ms | %s ms | %s |\n' "$workload" "$bt_cold" "$bt_warm" \
    "$dk_cold" "$dk_warm" "$ratio"
done
[ $docker_ok = 1 ] || echo "note: no docker daemon answered; BuildKit not measured"
