#!/usr/bin/env bash
# The demo: validates the intent-router manifest, brings the cluster up in the
# background, waits until every agent is idle, shows status and the agent state
# log, then stops the cluster and checks that no process is left.
set -euo pipefail
kaizen=${1:-build/runtime/cli/kaizen}
manifest=manifests/intent-router.yaml
state_dir=${KAIZEN_DEMO_STATE_DIR:-.kaizen/demo}

"$kaizen" validate "$manifest"
"$kaizen" down --state-dir "$state_dir" > /dev/null 2>&1 || true
"$kaizen" up "$manifest" --detach --state-dir "$state_dir"
trap '"$kaizen" down --state-dir "$state_dir" > /dev/null 2>&1 || true' EXIT

echo "waiting for all agents to be idle ..."
for _ in $(seq 1 150); do
  idle=$("$kaizen" status -o json --state-dir "$state_dir" | grep -c '"state": "idle"' || true)
  [ "$idle" -ge 7 ] && break
  sleep 0.2
done
echo
"$kaizen" status --state-dir "$state_dir"
echo
echo "agent state log:"
"$kaizen" logs --state-dir "$state_dir"
echo
"$kaizen" down --state-dir "$state_dir"
trap - EXIT
if pgrep -f -- "--connect ipc://$(realpath "$state_dir")" > /dev/null; then
  echo "demo: processes of the cluster are still running" >&2
  exit 1
fi
echo "demo: cluster stopped, no process left"
