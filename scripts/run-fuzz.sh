#!/usr/bin/env bash
# Runs each libFuzzer target for a while, seeded with the project's manifests
# and a few valid envelopes; a crash leaves its input in build-fuzz/crashes/.
set -euo pipefail
dir=${1:-build-fuzz}
seconds=${2:-60}
mkdir -p "$dir/corpus/manifest" "$dir/corpus/envelope" "$dir/crashes"
cp manifests/*.yaml "$dir/corpus/manifest/" 2>/dev/null || true
# Envelopes: a Hello, a heartbeat and a task, as protoc writes them.
printf '\x0a\x02m1\x1a\x03cli\x52\x05\x0a\x03cli' > "$dir/corpus/envelope/hello"
printf '\x0a\x02m2\x1a\x06worker\x62\x00' > "$dir/corpus/envelope/heartbeat"
printf '\x0a\x02m3\x1a\x03sim\xf2\x01\x0c\x0a\x02t1\x1a\x06hello!' > "$dir/corpus/envelope/task"
for target in envelope manifest; do
  echo "fuzzing ${target} parsing for ${seconds} s"
  "$dir/tests/fuzz/${target}_fuzz" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
    -artifact_prefix="$dir/crashes/${target}-" "$dir/corpus/${target}" 2>&1 | tail -3
done
