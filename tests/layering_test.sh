#!/bin/sh
# Enforces the dependency picture of STYLE.md 2.1, 2.7 and 2.9 on the source tree:
# each folder includes only the modules below it, ANTLR only in the parse-tree adapter,
# Linux kernel headers only in executor/ and cache/snapshot/.
set -u
root=${1:-$(dirname "$0")/..}
cd "$root" || exit 2
fail_flag=$(mktemp)
trap 'rm -f "$fail_flag"' EXIT

# allowed "<module>/" include prefixes for each folder (besides itself)
allowed() {
  case "$1" in
    base) echo "base" ;;
    oci) echo "base oci" ;;
    cache) echo "base oci cache" ;;
    executor) echo "base oci cache executor" ;;
    solver) echo "base oci cache executor solver" ;;
    frontend) echo "base oci frontend solver/ir" ;;
    exporter) echo "base oci cache exporter" ;;
    cli|tests) echo "base oci cache executor solver frontend exporter cli tests" ;;
  esac
}

modules="base oci cache executor solver frontend exporter cli"
for dir in $modules; do
  [ -d "$dir" ] || continue
  ok=$(allowed "$dir")
  for f in $(find "$dir" -name '*.h' -o -name '*.cc'); do
    grep -o '^#include "[a-z_]*/[^"]*"' "$f" | sed 's/#include "//; s/"$//' | while read -r inc; do
      mod=${inc%%/*}
      good=0
      for a in $ok; do
        case "$inc" in "$a"/*|"$a".*|"$a"_*) good=1 ;; esac
      done
      if [ "$good" -ne 1 ]; then
        echo "layering: $f includes \"$inc\" (module $mod is not below $dir)"
        echo fail > "$fail_flag"
      fi
    done
  done
done
# solver/ir is data only: it may include base, oci and itself.
for f in $(find solver -name 'ir*.h' -o -name 'ir*.cc' 2>/dev/null); do
  if grep -q '^#include "\(cache\|executor\|solver/[^i]\)' "$f"; then
    echo "layering: $f (solver/ir) includes the solver, cache or executor"
    echo fail > "$fail_flag"
  fi
done

# ANTLR stays behind the adapter.
for f in $(grep -rlE '#include [<"](antlr4-runtime|Dockerfile(Lexer|Parser))' --include='*.h' --include='*.cc' . 2>/dev/null); do
  case "$f" in
    ./frontend/parser/parse_tree_adapter.cc|./build*) ;;
    *) echo "layering: $f includes ANTLR or generated code"; echo fail > "$fail_flag" ;;
  esac
done

# Kernel interfaces stay in executor/ and cache/snapshot/ (and the tests of those modules).
for f in $(grep -rlE '#include <(sys/mount\.h|sched\.h|linux/|sys/capability\.h|seccomp\.h)' --include='*.h' --include='*.cc' . 2>/dev/null); do
  case "$f" in
    ./executor/*|./cache/snapshot/*|./tests/executor/*|./tests/cache/*|./build*) ;;
    *) echo "layering: $f includes a Linux kernel header"; echo fail > "$fail_flag" ;;
  esac
done

if [ -s "$fail_flag" ]; then
  exit 1
fi
echo "layering: ok"
