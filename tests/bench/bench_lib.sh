# bench_lib.sh — what the benchmark scripts share (sourced, not run):
#   now_us           sets $now to the wall clock in microseconds
#   ms_between T0 T1 prints T1 - T0 (microseconds) in milliseconds, one decimal
#   median           the median of the numbers on stdin, one a line
#   find_docker      sets $docker (DOCKER or Debian's /usr/bin/docker, whose 20.10 client builds
#                    with BuildKit by itself; a newer client without buildx refuses
#                    DOCKER_BUILDKIT=1) and $docker_ok=1 when a daemon answers
# Bash's own clock: a `date` process would add about a millisecond of its own start-up to what
# it times, which is a tenth of a fully cached build.
now_us() { now=${EPOCHREALTIME/./}; }
ms_between() { local d=$(($2 - $1)); printf '%d.%d\n' $((d / 1000)) $(((d % 1000) / 100)); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
find_docker() {
  docker=${DOCKER:-$(command -v /usr/bin/docker || command -v docker || true)}
  docker_ok=0
  if [ -n "$docker" ] && timeout 5 "$docker" info >/dev/null 2>&1; then docker_ok=1; fi
}
