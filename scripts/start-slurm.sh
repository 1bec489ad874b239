#!/usr/bin/env bash
# start-slurm.sh start|stop|status [DIR]: a private single-node Slurm cluster
# for the tests labeled `slurm` (tests/slurm/), every file of it under DIR
# (default /tmp/kaizen-slurm-$(id -u)): the munge key, socket and log, the
# generated slurm.conf, state and spool dirs, logs and pid files. Nothing under
# /etc is read or written, so two clusters (a clean-clone CI run and a
# developer's build) run side by side on one machine: each has its own ports
# (picked free at start), ClusterName and NodeName (both from DIR).
#
# `start` prints `export SLURM_CONF=DIR/slurm.conf`: Slurm's commands find the
# cluster through it. `stop` stops munged, slurmctld and slurmd by the pids
# they recorded (never by name) and touches nothing else.
#
# Needs root (the daemons switch to the job's user) and the Debian packages
# slurm-wlm and munge (scripts/install-deps.sh). Not root: exit 77, ctest's
# skip code.
set -euo pipefail

usage() {
  echo "usage: $0 start|stop|status [DIR]" >&2
  exit 2
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
action=$1
dir=${2:-/tmp/kaizen-slurm-$(id -u)}

if [ "$(id -u)" -ne 0 ]; then
  echo "needs root: slurmd starts jobs as their user and munged must own its key; run as root to start a test Slurm cluster (the slurm-labeled tests skip otherwise)" >&2
  exit 77
fi

dir=$(realpath -m "$dir")
# slurmd's step sockets (<spool>/<node>_<job>.<step>) and munge's socket must
# fit in a unix socket path (108 bytes).
if [ ${#dir} -gt 64 ]; then
  echo "start-slurm.sh: $dir is too long (${#dir} characters, at most 64): unix socket paths under it would not fit; use a shorter DIR" >&2
  exit 1
fi

conf=$dir/slurm.conf
munge_socket=$dir/munge/munge.socket
munge_pid=$dir/munge/munged.pid
ctld_pid=$dir/run/slurmctld.pid
slurmd_pid=$dir/run/slurmd.pid
export SLURM_CONF=$conf

# The cluster's names come from DIR, so two DIRs never clash.
hash=$(printf '%s' "$dir" | cksum | awk '{printf "%08x", $1}')
cluster=kz$hash
node=kz${hash}n

# The pid in FILE if that process is alive and its command line holds WANT
# (a recycled pid is someone else's process).
live_pid() {
  local file=$1 want=$2 pid
  [ -s "$file" ] || return 1
  pid=$(tr -dc '0-9' <"$file")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$want" || return 1
  echo "$pid"
}

# Each daemon's pid (file and what its command line must contain).
munged_live() { live_pid "$munge_pid" "$munge_socket"; }
ctld_live() { live_pid "$ctld_pid" "$conf"; }
slurmd_live() { live_pid "$slurmd_pid" "$conf"; }

# Waits up to $2 tenths of a second for pid $1 to exit.
wait_gone() {
  local pid=$1 i
  for i in $(seq "$2"); do
    [ -d "/proc/$pid" ] || return 0
    sleep 0.1
  done
  [ ! -d "/proc/$pid" ]
}

# Stops the daemons by their recorded pids: TERM to all at once (each takes
# a second or two to exit), then KILL what is left after 15 s.
do_stop() {
  local rc=0 pid names=() pids=() i
  if pid=$(slurmd_live); then names+=(slurmd); pids+=("$pid"); fi
  if pid=$(ctld_live); then names+=(slurmctld); pids+=("$pid"); fi
  if pid=$(munged_live); then names+=(munged); pids+=("$pid"); fi
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for i in "${!pids[@]}"; do
    pid=${pids[$i]}
    if wait_gone "$pid" 150; then
      echo "stopped ${names[$i]} (pid $pid)"
      continue
    fi
    echo "${names[$i]} (pid $pid) did not stop within 15 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" 50 || { echo "${names[$i]} (pid $pid) is still there" >&2; rc=1; }
  done
  return $rc
}

# Listening TCP ports, from /proc (no iproute2 needed).
used_ports() {
  local hex
  cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk 'NR > 1 && $4 == "0A" { n = split($2, a, ":"); print a[n] }' |
    sort -u | while read -r hex; do echo $((16#$hex)); done
}

# A free port in 20000-59999 not in the arguments. A port taken between this
# check and the daemon's bind makes start fail with the log's words.
free_port() {
  local used p
  used=$(used_ports)
  while :; do
    p=$((20000 + RANDOM % 40000))
    grep -qx "$p" <<<"$used" && continue
    case " $* " in *" $p "*) continue ;; esac
    echo "$p"
    return
  done
}

node_state() { sinfo -h -n "$node" -o %t 2>/dev/null | head -n1 || true; }

fail_with_logs() {
  echo "start-slurm.sh: $1" >&2
  local f
  for f in "$dir/log/munged.log" "$dir/log/slurmctld.log" "$dir/log/slurmd.log"; do
    [ -s "$f" ] || continue
    echo "--- last lines of $f:" >&2
    tail -n 15 "$f" >&2
  done
  do_stop >&2 || true
  exit 1
}

write_conf() {
  local host addr mem ctld_port slurmd_port
  host=$(hostname -s 2>/dev/null || uname -n)
  host=${host%%.*}
  addr=$(getent ahostsv4 "$host" 2>/dev/null | awk '{print $1; exit}')
  [ -n "$addr" ] || addr=127.0.0.1
  mem=$(awk '/^MemTotal:/ {m = int($2 / 1024) - 1024; if (m < 1024) m = 1024; print m}' /proc/meminfo)
  ctld_port=$(free_port)
  slurmd_port=$(free_port "$ctld_port")
  cat >"$conf" <<EOF
# Generated by scripts/start-slurm.sh for a private test cluster; rewritten at each start.
ClusterName=$cluster
SlurmctldHost=$host($addr)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# This cluster's own munged (no /etc/munge, no /run/munge).
AuthInfo=socket=$munge_socket
# No cgroups or systemd on a test machine.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
# A cancelled job's processes get SIGKILL 5 s after SIGTERM (default 30): tests stay short.
KillWait=5
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$ctld_pid
SlurmdPidFile=$slurmd_pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
PlugStackConfig=$dir/plugstack.conf
# The tests run every agent of a cluster as a one-CPU job on this one node, at
# least 16 at once, on a machine that may have 2 cores. The node claims 32
# CPUs and config_overrides makes slurmd report the configured CPUs and
# memory instead of the hardware's. Chosen over an OverSubscribe partition
# because a job then still gets whole CPUs of its own as Slurm counts them:
# --cpus-per-task and pending-for-Resources behave as on a real cluster.
SlurmdParameters=config_overrides
NodeName=$node NodeHostname=$host NodeAddr=$addr CPUs=32 RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
}

do_start() {
  local pid i state
  if ctld_live >/dev/null && slurmd_live >/dev/null && munged_live >/dev/null; then
    echo "already running from $dir" >&2
    echo "export SLURM_CONF=$conf"
    return 0
  fi
  local missing=()
  for b in munged slurmctld slurmd sinfo sbatch; do
    command -v "$b" >/dev/null || [ -x "/usr/sbin/$b" ] || missing+=("$b")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "start-slurm.sh: not installed: ${missing[*]}; install slurm-wlm and munge (scripts/install-deps.sh)" >&2
    exit 1
  fi
  export PATH=$PATH:/usr/sbin:/sbin
  # A half-started cluster from before (one daemon died) starts over.
  do_stop >/dev/null 2>&1 || true

  mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log" "$dir/run"
  chmod 0700 "$dir/munge"
  : >"$dir/plugstack.conf"
  if [ ! -s "$dir/munge/munge.key" ]; then
    (umask 077 && head -c 1024 /dev/urandom >"$dir/munge/munge.key")
  fi
  chmod 0400 "$dir/munge/munge.key"
  write_conf

  # --force: the build tree's folders may belong to another user than root
  # (a CI checkout), which munged would otherwise refuse as insecure; this
  # key guards a throwaway test cluster only.
  munged --force --key-file="$dir/munge/munge.key" --socket="$munge_socket" --pid-file="$munge_pid" \
    --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed" </dev/null >>"$dir/log/munged.log" 2>&1 ||
    fail_with_logs "munged did not start"
  for i in $(seq 50); do
    [ -S "$munge_socket" ] && munged_live >/dev/null && break
    sleep 0.1
  done
  munged_live >/dev/null || fail_with_logs "munged did not come up (socket $munge_socket)"

  slurmctld -f "$conf" </dev/null >>"$dir/log/slurmctld.log" 2>&1 || fail_with_logs "slurmctld did not start"
  slurmd -f "$conf" -N "$node" </dev/null >>"$dir/log/slurmd.log" 2>&1 || fail_with_logs "slurmd did not start"

  # Bounded wait for the node to be idle (about 3 s on a quiet machine).
  state=
  for i in $(seq 300); do
    state=$(node_state)
    case "$state" in idle | mix | alloc) break ;; esac
    ctld_live >/dev/null || fail_with_logs "slurmctld exited while starting"
    slurmd_live >/dev/null || [ "$i" -lt 20 ] || fail_with_logs "slurmd exited while starting"
    sleep 0.1
  done
  case "$state" in
    idle | mix | alloc) ;;
    *) fail_with_logs "node $node is not idle after 30 s (sinfo says: '${state:-no answer}')" ;;
  esac
  echo "Slurm cluster $cluster (node $node, 32 CPUs) runs from $dir" >&2
  echo "export SLURM_CONF=$conf"
}

do_status() {
  local pid ok=0
  for d in munged slurmctld slurmd; do
    case $d in
      munged) pid=$(munged_live) || pid= ;;
      slurmctld) pid=$(ctld_live) || pid= ;;
      slurmd) pid=$(slurmd_live) || pid= ;;
    esac
    if [ -n "$pid" ]; then echo "$d: running (pid $pid)"; else echo "$d: not running"; ok=1; fi
  done
  if [ $ok -eq 0 ]; then
    echo "node $node: $(node_state)"
    echo "export SLURM_CONF=$conf"
  fi
  return $ok
}

case "$action" in
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
  *) usage ;;
esac
