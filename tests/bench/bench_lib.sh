# bench_lib.sh — what the benchmark scripts share (sourced, not run):
#   now_ms           wall clock in milliseconds
#   median           the median of the numbers on stdin, one a line
#   find_docker      sets $docker (DOCKER or Debian's /usr/bin/docker, whose 20.10 client builds
#                    with BuildKit by itself; a newer client without buildx refuses
#                    DOCKER_BUILDKIT=1) and $docker_ok=1 when a daemon answers
now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
find_docker() {
  docker=${DOCKER:-$(command -v /usr/bin/docker || command -v docker || true)}
  docker_ok=0
  if [ -n "$docker" ] && timeout 5 "$docker" info >/dev/null 2>&1; then docker_ok=1; fi
}
