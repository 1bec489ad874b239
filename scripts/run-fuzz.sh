#!/usr/bin/env bash
# Runs each libFuzzer target for a while, seeded with the project's manifests
# and a few valid envelopes; a crash leaves its input in build-fuzz/crashes/.
set -euo pipefail
dir=${1:-build-fuzz}
seconds=${2:-60}
mkdir -p "$dir/corpus/manifest" "$dir/corpus/envelope" "$dir/crashes"
cp manifests/*.yaml tests/fuzz/seeds/manifest/* "$dir/corpus/manifest/" 2>/dev/null || true
# Envelopes: a Hello, a heartbeat and a task, as protoc writes them (the same
# seeds the short run in `make test` replays, tests/fuzz/smoke_driver.cc).
cp tests/fuzz/seeds/envelope/* "$dir/corpus/envelope/"
for target in envelope manifest; do
  echo "fuzzing ${target} parsing for ${seconds} s"
  "$dir/tests/fuzz/${target}_fuzz" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
    -artifact_prefix="$dir/crashes/${target}-" "$dir/corpus/${target}" 2>&1 | tail -3
done
