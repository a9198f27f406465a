#!/usr/bin/env bash
# Starts and stops a real single-node Slurm cluster on 127.0.0.1, everything in one folder, for tests.
#   scripts/slurm-cluster.sh start DIR    start munged, slurmctld, slurmd with state, logs, key in DIR;
#                                         on success prints `export SLURM_CONF=DIR/slurm.conf` on stdout
#                                         (eval it: eval "$(scripts/slurm-cluster.sh start "$D")")
#   scripts/slurm-cluster.sh stop DIR     cancel the cluster's jobs, kill the daemons named by DIR/*.pid
#                                         (never by name), wait for them to exit; idempotent
#   scripts/slurm-cluster.sh status DIR   sinfo and squeue of that cluster
# Exit codes: 0 ok, 1 failure (start prints the daemon log tails to stderr and stops what it started),
# 2 usage, 77 "SKIPPED: ..." when the slurm/munge binaries are missing or when not run as root.
# Environment:
#   SLURM_TEST_PORT_BASE=N   use SlurmctldPort=N, SlurmdPort=N+1 (fail if either is taken); default:
#                            the first free pair from a random start in 20000-39999
#   SLURM_TEST_CRED_EXPIRE=S job credential lifetime (AuthInfo cred_expire, default 30); a requeued job
#                            becomes eligible again S+1 seconds after `scontrol requeue`
#   SLURM_TEST_TIMEOUT=S     how long start waits for the node to be idle (default 30)
# Needs: Debian 12 slurmctld slurmd slurm-client munge (scripts/install-deps.sh), root (SlurmUser=root).
set -euo pipefail

usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
log() { echo "slurm-cluster: $*" >&2; }

# Variables of an enclosing Slurm job or of the caller's other cluster must not leak into this one.
for name in $(compgen -e); do
  case "$name" in SLURM_TEST_*) ;; SLURM_*|SQUEUE_*|SINFO_*|SBATCH_*|SCANCEL_*) unset "$name" ;; esac
done

(($# == 2)) || usage
cmd=$1
DIR_ARG=$2
case "$cmd" in start|stop|status) ;; *) usage ;; esac

BINARIES=(munged mungekey munge unmunge slurmctld slurmd sinfo squeue scontrol scancel sbatch)

# start: exit 77 (a test reports itself skipped) without the binaries or root, before touching DIR.
if [[ "$cmd" == start ]]; then
  missing=()
  for b in "${BINARIES[@]}"; do command -v "$b" >/dev/null || missing+=("$b"); done
  if ((${#missing[@]})); then
    echo "SKIPPED: slurm/munge binaries missing (${missing[*]}); install slurmctld slurmd slurm-client munge (scripts/install-deps.sh)" >&2
    exit 77
  fi
  if [[ $(id -u) -ne 0 ]]; then
    echo "SKIPPED: a test Slurm cluster needs root (SlurmUser=root); running as uid $(id -u)" >&2
    exit 77
  fi
  mkdir -p -- "$DIR_ARG"
fi

# The absolute folder; empty if it does not exist.
DIR=$(cd -- "$DIR_ARG" 2>/dev/null && pwd -P) || DIR=""
CONF="$DIR/slurm.conf"

# A pid that exists and is not a zombie (an exited daemon stays a zombie until pid 1 reaps it).
alive() {
  [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null || return 1
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ "${stat:0:1}" != Z ]]
}

# pid of daemon NAME (munged|slurmctld|slurmd) from DIR/NAME.pid, only if that process is alive and
# runs the NAME binary (a stale pid file whose pid was reused by something else gives nothing).
daemon_pid() {
  local name=$1 f="$DIR/$1.pid" pid exe want
  [[ -n "$DIR" && -f "$f" ]] || return 0
  pid=$(tr -dc '0-9' <"$f" 2>/dev/null || true)
  alive "$pid" || return 0
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
  exe=${exe% (deleted)}
  want=$(command -v "$name" 2>/dev/null || echo "/usr/sbin/$name")
  want=$(readlink -f "$want" 2>/dev/null || echo "$want")
  if [[ "$exe" != "$want" ]]; then
    log "$f names pid $pid, which runs '${exe:-?}', not $want: leaving it alone"
    return 0
  fi
  echo "$pid"
}

# Kill daemon NAME (TERM, then KILL after 10 s) and wait for it to go; removes its pid file.
kill_daemon() {
  local name=$1 pid i
  pid=$(daemon_pid "$name")
  if [[ -n "$pid" ]]; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then
      log "$name (pid $pid) ignored SIGTERM for 10 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do alive "$pid" || break; sleep 0.1; done
    fi
    alive "$pid" && { log "$name (pid $pid) is still alive"; return 1; }
  fi
  rm -f -- "$DIR/$name.pid"
}

do_stop() {
  [[ -n "$DIR" ]] || return 0
  local ctld i jobs rc=0
  ctld=$(daemon_pid slurmctld)
  if [[ -n "$ctld" && -n "$(daemon_pid slurmd)" && -f "$CONF" ]]; then
    # Cancel what is still queued or running so that no slurmstepd or job process outlives slurmd.
    jobs=$(SLURM_CONF=$CONF timeout 10 squeue -h -o %F 2>/dev/null | sort -u || true)
    if [[ -n "$jobs" ]]; then
      # shellcheck disable=SC2086
      SLURM_CONF=$CONF timeout 10 scancel $jobs 2>/dev/null || true
      for ((i = 0; i < 150; i++)); do
        [[ -z "$(SLURM_CONF=$CONF timeout 5 squeue -h -o %A 2>/dev/null || true)" ]] && break
        sleep 0.2
      done
    fi
  fi
  kill_daemon slurmd || rc=1
  kill_daemon slurmctld || rc=1
  kill_daemon munged || rc=1
  rm -f -- "$DIR/munge.sock" "$DIR/munge.sock.lock"
  return $rc
}

dump_logs() {
  local f
  for f in munged.log slurmctld.log slurmd.log munged.out slurmctld.out slurmd.out; do
    [[ -s "$DIR/$f" ]] || continue
    echo "----- tail of $DIR/$f -----" >&2
    tail -n 25 -- "$DIR/$f" >&2
  done
}

port_taken() {  # true if a TCP socket of any state uses local port $1
  if command -v ss >/dev/null; then
    [[ -n "$(ss -Htan "( sport = :$1 )" 2>/dev/null)" ]]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

pick_ports() {  # sets CTLD_PORT, SLURMD_PORT
  local base i
  if [[ -n "${SLURM_TEST_PORT_BASE:-}" ]]; then
    [[ "$SLURM_TEST_PORT_BASE" =~ ^[0-9]+$ ]] || { log "SLURM_TEST_PORT_BASE is not a number"; return 1; }
    base=$SLURM_TEST_PORT_BASE
    if port_taken "$base" || port_taken $((base + 1)); then
      log "SLURM_TEST_PORT_BASE=$base: port $base or $((base + 1)) is in use"; return 1
    fi
  else
    base=$((20000 + (RANDOM % 10000) * 2))
    for ((i = 0; i < 200; i++)); do
      port_taken "$base" || port_taken $((base + 1)) || break
      base=$((base + 2)); ((base < 40000)) || base=20000
    done
    ((i < 200)) || { log "no free pair of TCP ports found"; return 1; }
  fi
  CTLD_PORT=$base
  SLURMD_PORT=$((base + 1))
}

do_start() {
  local b host ncpu mem_mb real_mem i state cred_expire timeout t0
  t0=$(date +%s.%N)
  [[ -n "$DIR" ]] || { log "cannot use folder '$DIR_ARG'"; exit 1; }
  if [[ "$DIR" =~ [[:space:],#=\"\'] ]]; then
    log "folder '$DIR' contains a character slurm.conf cannot hold (space , # = quote)"; exit 1
  fi
  for b in slurmd slurmctld munged; do
    if [[ -n "$(daemon_pid "$b")" ]]; then
      log "a cluster is already running in $DIR ($b pid $(daemon_pid "$b")); run: $0 stop $DIR"; exit 1
    fi
  done
  cred_expire=${SLURM_TEST_CRED_EXPIRE:-30}
  timeout=${SLURM_TEST_TIMEOUT:-30}

  # From here on, any failure dumps the logs and stops what was started.
  trap 'rc=$?; if ((rc != 0)); then log "start failed (exit $rc)"; dump_logs; do_stop || true; fi' EXIT

  # Leftover state of an earlier cluster in DIR: start clean.
  rm -rf -- "$DIR/ctld" "$DIR/spool"
  rm -f -- "$DIR"/{munged,slurmctld,slurmd}.{pid,log,out} "$DIR/munge.sock" "$DIR/munge.sock.lock" \
    "$DIR/munge.key" "$DIR/munge.seed" "$DIR/jobcomp.txt" "$CONF"
  mkdir -p -- "$DIR/ctld" "$DIR/spool"
  chmod 0755 "$DIR/ctld" "$DIR/spool"

  pick_ports

  # munge
  mungekey --create --keyfile="$DIR/munge.key"
  chmod 0400 "$DIR/munge.key"
  SLURM_CONF=$CONF munged --key-file="$DIR/munge.key" --socket="$DIR/munge.sock" \
    --pid-file="$DIR/munged.pid" --log-file="$DIR/munged.log" --seed-file="$DIR/munge.seed" \
    --force </dev/null >"$DIR/munged.out" 2>&1
  for ((i = 0; i < 100; i++)); do
    munge -n -S "$DIR/munge.sock" 2>/dev/null | unmunge -S "$DIR/munge.sock" >/dev/null 2>&1 && break
    sleep 0.1
  done
  ((i < 100)) || { log "munged does not answer on $DIR/munge.sock"; exit 1; }

  # slurm.conf
  host=$(hostname -s)
  ncpu=$(nproc)
  mem_mb=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
  real_mem=$((mem_mb / 2)); ((real_mem <= 4000)) || real_mem=4000; ((real_mem >= 100)) || real_mem=100
  cat >"$CONF" <<EOF
# Single-node test cluster written by scripts/slurm-cluster.sh; stop it with: scripts/slurm-cluster.sh stop $DIR
ClusterName=test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge.sock,cred_expire=$cred_expire
StateSaveLocation=$DIR/ctld
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/jobcomp.txt
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/backfill
# Scan pending jobs every second, not every 30/60 s: a requeued job or a freed slot is used at once.
SchedulerParameters=bf_interval=1,sched_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
KillWait=5
NodeName=$host NodeAddr=127.0.0.1 CPUs=$ncpu RealMemory=$real_mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF

  # slurmctld, then slurmd (both daemonize and write their pid files)
  SLURM_CONF=$CONF slurmctld -i </dev/null >"$DIR/slurmctld.out" 2>&1
  for ((i = 0; i < 100; i++)); do
    SLURM_CONF=$CONF timeout 5 scontrol ping 2>/dev/null | grep -q 'is UP' && break
    sleep 0.1
  done
  ((i < 100)) || { log "slurmctld did not come up (port $CTLD_PORT)"; exit 1; }
  SLURM_CONF=$CONF slurmd -N "$host" </dev/null >"$DIR/slurmd.out" 2>&1

  # Wait until the node is idle.
  state=""
  for ((i = 0; i < timeout * 5; i++)); do
    state=$(SLURM_CONF=$CONF timeout 5 sinfo -h -N -n "$host" -o %T 2>/dev/null || true)
    [[ "$state" == idle ]] && break
    [[ -n "$(daemon_pid slurmd)" || $i -lt 10 ]] || { log "slurmd exited"; exit 1; }
    sleep 0.2
  done
  [[ "$state" == idle ]] || { log "node $host not idle after ${timeout}s (state '${state}')"; exit 1; }

  trap - EXIT
  log "up in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')s: node $host, $ncpu CPUs, ports $CTLD_PORT/$SLURMD_PORT, folder $DIR"
  printf 'export SLURM_CONF=%q\n' "$CONF"
}

do_status() {
  [[ -n "$DIR" && -f "$CONF" ]] || { log "no cluster in '$DIR_ARG' (no slurm.conf)"; exit 1; }
  local b rc=0
  for b in munged slurmctld slurmd; do
    echo "$b: pid $(daemon_pid "$b" | grep . || echo "- (not running)")"
  done
  SLURM_CONF=$CONF timeout 10 sinfo || rc=1
  SLURM_CONF=$CONF timeout 10 squeue || rc=1
  return $rc
}

case "$cmd" in
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
esac
