#!/usr/bin/env bash
# The demo: validates the intent-router manifest and runs its scenario in the
# foreground to the end (traffic, drift, trigger, clone, plan, teacher data,
# training, evaluation, A/B rollout, promotion), prints the summary, and checks
# that the cluster left no process behind.
set -euo pipefail
kaizen=${1:-build/runtime/cli/kaizen}
manifest=${KAIZEN_DEMO_MANIFEST:-manifests/intent-router.yaml}
state_dir=${KAIZEN_DEMO_STATE_DIR:-.kaizen/demo}
summary=${KAIZEN_DEMO_SUMMARY:-$state_dir/demo-summary.json}

"$kaizen" validate "$manifest"
"$kaizen" down --state-dir "$state_dir" > /dev/null 2>&1 || true
rm -rf "$state_dir"   # a fresh run: the demo starts from the initial model
mkdir -p "$(dirname "$summary")"
# spec.runtime.metrics: Prometheus metrics and a health check while the demo runs.
metrics_port=$(grep -oE '^ +metrics: \{port: [0-9]+' "$manifest" | grep -oE '[0-9]+$' || true)
if [ -n "$metrics_port" ] && [ "$metrics_port" != 0 ]; then
  echo "demo: while it runs, metrics at http://127.0.0.1:$metrics_port/metrics and health at http://127.0.0.1:$metrics_port/healthz"
fi
"$kaizen" up "$manifest" --state-dir "$state_dir" --summary-json "$summary"
echo
echo "agent state log (cycle stages and decisions; the full log: kaizen logs --state-dir $state_dir):"
"$kaizen" logs --state-dir "$state_dir" | grep -E " cycle c[0-9]+ | cluster +(clone_|traffic|metrics)" || true
if pgrep -f -- "--connect ipc://$(realpath "$state_dir")" > /dev/null; then
  echo "demo: processes of the cluster are still running" >&2
  exit 1
fi
echo
echo "demo: summary in $summary; cluster stopped, no process left"
