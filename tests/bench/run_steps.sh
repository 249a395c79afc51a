#!/usr/bin/env bash
# run_steps.sh — issue 6's benchmark: cold builds with RUN steps, buildtool against docker's
# BuildKit in the same run. Workloads from ../shared/bench: many-steps (20 RUN among 40
# steps) and parallel-stages (four stages that each sleep 1 s), plus runs-only (20 `RUN true`,
# the per-step cost of a sandboxed process). Every run is cold: buildtool on an empty root,
# docker after `docker builder prune -af`. The base is a busybox rootfs made here: docker gets
# it with `docker import` (untimed), buildtool as `--build-context` (its copy is timed).
# Prints medians of REPS runs and the ratio. Not a test: a benchmark.
#
#   tests/bench/run_steps.sh BUILDTOOL [REPS]
# Docker is measured when a daemon answers (DOCKER_HOST or /var/run/docker.sock); start one
# with `dockerd --data-root DIR` (Debian's docker.io).
set -euo pipefail
buildtool=$(realpath "$1")
reps=${2:-5}
shared=$(cd "$(dirname "$0")/../../../shared" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/bt-bench-run.XXXXXX")
trap 'rm -rf "$work"' EXIT

. "$(dirname "$0")/bench_lib.sh"

base=$work/base
"$(dirname "$0")/../example/make-busybox-rootfs.sh" "$base"
base_image=bt-bench-busybox:latest

find_docker
if [ $docker_ok = 1 ]; then
  tar -C "$base" --numeric-owner -c . | "$docker" import - "$base_image" >/dev/null
fi

prepare() {  # WORKLOAD CTX
  mkdir -p "$2"
  if [ "$1" = runs-only ]; then
    { echo 'ARG BASE=busybox:latest'; echo 'FROM ${BASE}'; for i in $(seq -w 1 20); do echo "RUN true # $i"; done; } >"$2/Dockerfile"
    return
  fi
  "$shared/bench/workloads/$1/prepare.sh" "$2" >/dev/null
  cp "$shared/bench/workloads/$1/Dockerfile" "$2/Dockerfile"
}

printf '| workload | buildtool cold (median) | docker cold (median) | ratio |\n|---|---|---|---|\n'
for workload in runs-only many-steps parallel-stages; do
  ctx=$work/$workload
  prepare "$workload" "$ctx"
  bt_times=() dk_times=()
  for rep in $(seq 1 "$reps"); do
    root=$work/root-$workload-$rep
    now_us; t0=$now
    "$buildtool" build --root "$root" --progress quiet --build-arg BASE=bench-base \
      --build-context "bench-base=$base" "$ctx" >/dev/null 2>&1 || { echo "buildtool failed on $workload" >&2; exit 1; }
    now_us; bt_times+=("$(ms_between "$t0" "$now")")
    rm -rf "$root"
    if [ $docker_ok = 1 ]; then
      "$docker" builder prune -af >/dev/null 2>&1 || true
      now_us; t0=$now
      DOCKER_BUILDKIT=1 "$docker" build -q --build-arg "BASE=$base_image" "$ctx" >/dev/null 2>&1 ||
        { echo "docker failed on $workload" >&2; exit 1; }
      now_us; dk_times+=("$(ms_between "$t0" "$now")")
    fi
  done
  bt=$(printf '%s\n' "${bt_times[@]}" | median)
  dk=- ratio=-
  if [ $docker_ok = 1 ]; then
    dk=$(printf '%s\n' "${dk_times[@]}" | median)
    ratio=$(awk -v d="$dk" -v b="$bt" 'BEGIN { printf "%.1fx", d / (b > 0 ? b : 1) }')
  fi
  printf '| %s | %s ms | %s ms | %s |\n' "$workload" "$bt" "$dk" "$ratio"
done
[ $docker_ok = 1 ] && "$docker" rmi "$base_image" >/dev/null 2>&1 || true
[ $docker_ok = 1 ] || echo "note: no docker daemon answered; BuildKit not measured"
