#!/usr/bin/env bash
# Runs every benchmark (built in BUILD_DIR by `make bench`), prints one line per
# figure on stdout:
#   name value unit baseline=B ratio=R [what the baseline is; target ...: met]
# and writes them all, with each benchmark's settings and raw runs, to
# bench/results.json. Progress goes to stderr. Exits 1 if a benchmark failed
# to run (an unmet target is reported, not a failure).
#
#   bench/run.sh [BUILD_DIR] [--quick]
set -u
cd "$(dirname "$0")/.."
build=${1:-build}
quick=${2:-}
bin=$build/bench
out=$(mktemp -d "${TMPDIR:-/tmp}/kaizen-bench.XXXXXX")
trap 'rm -rf "$out"' EXIT

commit() {
  local head
  if ! command -v git > /dev/null || ! head=$(git rev-parse --short HEAD 2> /dev/null); then
    echo unknown
  elif git diff --quiet HEAD 2> /dev/null; then
    echo "$head"
  else
    echo "$head with uncommitted changes"
  fi
}

started=$(date +%s)
meta=(--meta "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
      --meta "cores=$(nproc)"
      --meta "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
      --meta "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
      --meta "commit=$(commit)"
      --meta "build_dir=$build")
failed=()
for b in bus_bench router_bench detection_bench ab_bench cycle_bench gateway_bench replica_bench efficacy_bench; do
  echo "# $b ..." >&2
  t0=$(date +%s)
  if ! "$bin/$b" --json "$out/$b.json" $quick; then
    failed+=("$b")
    echo "# $b FAILED" >&2
  fi
  echo "# $b: $(( $(date +%s) - t0 )) s" >&2
done
meta+=(--meta "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" --meta "seconds=$(( $(date +%s) - started ))")
"$bin/results_merge" --out bench/results.json "${meta[@]}" "$out"/*.json

echo "# $(( $(date +%s) - started )) s; results in bench/results.json" >&2
if (( ${#failed[@]} )); then
  echo "# failed to run: ${failed[*]}" >&2
  exit 1
fi
