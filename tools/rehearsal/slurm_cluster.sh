# slurm_cluster.sh: a real Slurm cluster of two nodes on one machine, for the deck's SLURM slides.
# Source it in bash; the rest of the script then runs as if logged in to node0:
#
#     source slurm_cluster.sh          # starts munged, slurmctld and one slurmd per node
#     sbatch --wait train.sbatch       # sbatch, srun, scontrol, squeue, sinfo, scancel run on node0
#     cat rank*.txt
#
# The cluster is Debian's Slurm (slurmctld, slurmd, slurm-client, munge), unchanged. Each node is a
# network, UTS and mount namespace of its own, joined by a veth pair:
#
#     node0  10.79.0.1/24 <-- veth --> 10.79.0.2/24  node1      (slurmctld and the "login" on node0)
#
# In its mount namespace a node sees the run's slurm.conf at /etc/slurm and an /etc/hosts naming
# node0 and node1, so every command is the one a reader types on a cluster: no -f, no SLURM_CONF.
# The nodes share this machine's files (like NFS on a cluster): a job runs in the folder it was
# submitted from. Nothing listens in this machine's network namespace; munged's socket, the state,
# the spool and the logs are in a folder of the run (under $TMPDIR), removed at the end. Names are
# per run (the sourcing shell's PID), so two runs on one machine do not meet. Subnet and ports are
# the same in every run: each run's namespaces have their own network stack.
#
# Bounded: every start-up wait has its own limit, and a watchdog stops the whole cluster
# SLURM_CLUSTER_TIMEOUT seconds (default 50) after `source`. `sbatch --wait` whose job does not end
# COMPLETED, and the watchdog, print the job's state, its output files and the daemons' logs on
# stderr, and the sourcing shell exits with status 1. On exit, also on failure, SIGTERM or Ctrl-C,
# every process of the cluster is killed (by namespace: slurmstepd detaches from slurmd), the
# namespaces are deleted and the run's folder is removed.
#
# Needs root, iproute2, util-linux (nsenter, unshare), a mounted cgroup file system (slurmd 22.05
# loads its cgroup plugin even when nothing uses it) and the Slurm and munge packages. Without one
# of them sourcing prints the reason and exits with status 2; `bash slurm_cluster.sh --why-not`
# prints only the reason (nothing when the cluster can start) and starts nothing: the deck's test
# uses it to skip the block with that reason.
#
# Kept out of the deck's speaker notes (what a presenter says aloud): the namespaces, addresses,
# root and the time limits above. On a real cluster the reader is logged in to a login node, the
# administrators run the daemons, and the batch script and `sbatch` are the same.

_sc_id=$$
_sc_anchor=()     # per node: the process that holds its namespaces (nsenter -t)
_sc_pids=()       # munged, slurmctld, the slurmds: started here
_sc_watchdog=
_sc_root=
: "${SLURM_CLUSTER_TIMEOUT:=50}"

_sc_say() { echo "slurm_cluster.sh: $*" >&2; }

_sc_netns_name() { echo "lightning-slurm-$_sc_id-node$1"; }

_sc_why_not() {  # the reason the cluster cannot start here, or nothing
    local c
    if [ "$(id -u)" != 0 ]; then echo "not root: network namespaces and Slurm's daemons need root"; return; fi
    for c in ip nsenter unshare; do
        command -v $c >/dev/null || { echo "no $c command: apt-get install iproute2 util-linux"; return; }
    done
    for c in munged munge slurmctld slurmd sbatch; do
        command -v $c >/dev/null ||
            { echo "no $c: apt-get install --no-install-recommends slurmctld slurmd slurm-client munge"; return; }
    done
    if ! awk '$2 ~ "^/sys/fs/cgroup" && $3 ~ "^cgroup" { found = 1 } END { exit !found }' /proc/mounts; then
        echo "no cgroup file system mounted on /sys/fs/cgroup: Slurm 22.05's slurmd does not start without one"
        return
    fi
    [ -d /etc/slurm ] || { echo "no /etc/slurm folder (the nodes mount their configuration there)"; return; }
    if ! ip netns add "lightning-slurm-probe-$$" 2>/dev/null; then
        echo "ip netns add failed: network namespaces are not available here"; return
    fi
    ip netns delete "lightning-slurm-probe-$$"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then  # run, not sourced
    [ "${1:-}" = --why-not ] && { _sc_why_not; exit 0; }
    echo "usage: source slurm_cluster.sh (in bash), or bash slurm_cluster.sh --why-not" >&2
    exit 2
fi

_sc_tree() {  # a process and all its descendants
    local child
    echo "$1"
    for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do _sc_tree "$child"; done
}

_sc_alive() {  # those of the given pids that are alive: a killed daemon is a zombie until reaped
    local pid state
    for pid in "$@"; do
        state=$(ps -o stat= -p "$pid" 2>/dev/null) || continue
        case $state in Z*) ;; *) echo "$pid" ;; esac
    done
}

_sc_teardown() {
    local ns n pids tries
    trap - EXIT INT TERM
    [ -n "$_sc_watchdog" ] && kill -KILL $(_sc_tree "$_sc_watchdog") 2>/dev/null
    for tries in $(seq 50); do  # slurmstepd forks and detaches: kill until the namespaces are empty
        pids=()
        for n in 0 1; do pids+=($(ip netns pids "$(_sc_netns_name $n)" 2>/dev/null)); done
        pids+=("${_sc_pids[@]}" "${_sc_anchor[@]}")
        pids=($(_sc_alive "${pids[@]}"))
        [ ${#pids[@]} -gt 0 ] || break
        kill -KILL "${pids[@]}" 2>/dev/null
        sleep 0.1
    done
    for n in 0 1; do ip netns delete "$(_sc_netns_name $n)" 2>/dev/null; done
    [ -n "$_sc_root" ] && rm -rf "$_sc_root"
    _sc_pids=() _sc_anchor=() _sc_watchdog= _sc_root=
    return 0
}

# _sc_on N COMMAND...: run COMMAND on node N (its network, host name and files), in this folder.
_sc_on() {
    local n=$1; shift
    nsenter -t "${_sc_anchor[$n]}" -n -u -m --wd="$PWD" "$@"
}

_sc_logs() {  # the job's state and output files, then the daemons' logs, on stderr
    local job=$1 file
    {
        if [ -n "$job" ] && [ -n "${_sc_anchor[0]:-}" ]; then
            echo "----- scontrol show job $job -----"
            timeout 5 nsenter -t "${_sc_anchor[0]}" -n -u -m scontrol show job "$job" 2>&1 |
                grep -E "JobState|Reason|ExitCode|StdOut|NodeList" | sed 's/^ *//'
        fi
        if [ -n "${_sc_anchor[0]:-}" ]; then
            echo "----- squeue -----"
            timeout 5 nsenter -t "${_sc_anchor[0]}" -n -u -m squeue 2>&1
        fi
        for file in $(find . -maxdepth 1 -type f \( -name '*.out' -o -name '*.err' \) -newer "$_sc_root/started" \
                      2>/dev/null | sort); do
            echo "----- $file (last 20 lines) -----"
            tail -n 20 "$file"; echo
        done
        for file in "$_sc_root"/log/*.log; do  # a daemon's stderr only where it has no log of its own
            case $file in *.stderr.log) [ -s "${file%.stderr.log}.log" ] && continue ;; esac
            [ -s "$file" ] || continue
            echo "----- $(basename "$file") (last 20 lines) -----"
            tail -n 20 "$file"
        done
    } 2>&1 | sed -e '$a\' >&2  # a last line without its newline gets one
}

_sc_fail() {  # print what was asked and the logs, tear down, exit 1
    _sc_say "$1"
    _sc_logs "${2:-}"
    _sc_say "failed: $1"
    _sc_teardown
    exit 1
}

_sc_on_term() {
    local job
    if [ -n "$_sc_root" ] && [ -e "$_sc_root/timed-out" ]; then
        job=$(timeout 5 nsenter -t "${_sc_anchor[0]}" -n -u -m squeue -h -o %i 2>/dev/null | head -n 1)
        _sc_fail "the cluster still ran ${SLURM_CLUSTER_TIMEOUT} s after it was started, and was stopped" "$job"
    fi
    _sc_teardown
    exit 143
}

_sc_wait_for() {  # _sc_wait_for SECONDS WHAT COMMAND...: poll COMMAND every 0.1 s until it succeeds
    local seconds=$1 limit=$((SECONDS + $1)) what=$2; shift 2
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$limit" ] || _sc_fail "$what did not happen within $seconds s"
        sleep 0.1
    done
}

_sc_config() {  # slurm.conf, /etc/hosts of the nodes, munge's key
    local r=$_sc_root
    mkdir -p "$r/etc" "$r/state" "$r/spool/node0" "$r/spool/node1" "$r/log" "$r/munge"
    chmod 0755 "$r" "$r/munge"  # munged checks that every process can reach its socket
    dd if=/dev/urandom of="$r/munge/munge.key" bs=1024 count=1 status=none
    chmod 0600 "$r/munge/munge.key"
    printf '127.0.0.1 localhost\n10.79.0.1 node0\n10.79.0.2 node1\n' > "$r/hosts"
    cat > "$r/etc/slurm.conf" <<EOF
ClusterName=rehearsal
SlurmctldHost=node0(10.79.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$r/munge/munge.sock
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
SchedulerParameters=batch_sched_delay=0
SlurmdParameters=config_overrides
ReturnToService=2
MailProg=/bin/true
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$r/state
SlurmdSpoolDir=$r/spool/%n
SlurmctldPidFile=$r/slurmctld.pid
SlurmdPidFile=$r/slurmd-%n.pid
SlurmctldLogFile=$r/log/slurmctld.log
SlurmdLogFile=$r/log/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info
KillWait=2
InactiveLimit=0
MinJobAge=4
NodeName=node0 NodeAddr=10.79.0.1 CPUs=1 State=UNKNOWN
NodeName=node1 NodeAddr=10.79.0.2 CPUs=1 State=UNKNOWN
PartitionName=debug Nodes=node0,node1 Default=YES MaxTime=10 State=UP
EOF
}

_sc_nodes_idle() {
    [ "$(_sc_on 0 sinfo -h -N -o '%N %t' 2>/dev/null | sort | tr '\n' ' ')" = "node0 idle node1 idle " ]
}

_sc_up() {
    local n ns out r=$_sc_root
    _sc_config
    munged -F --key-file="$r/munge/munge.key" --socket="$r/munge/munge.sock" --pid-file="$r/munge/munged.pid" \
        --seed-file="$r/munge/munged.seed" > "$r/log/munged.log" 2>&1 < /dev/null &
    _sc_pids+=($!); disown  # disowned: no "Killed" line from this shell at the teardown
    _sc_wait_for 10 "munged's start" sh -c "munge -n -S '$r/munge/munge.sock' | unmunge -S '$r/munge/munge.sock'"
    for n in 0 1; do
        ns=$(_sc_netns_name $n)
        out=$(ip netns add "$ns" 2>&1) || _sc_fail "ip netns add $ns failed: $out"
    done
    out=$( { ip link add veth0 netns "$(_sc_netns_name 0)" type veth peer name veth1 netns "$(_sc_netns_name 1)" &&
             for n in 0 1; do
                 ns=$(_sc_netns_name $n)
                 ip -n "$ns" addr add "10.79.0.$((n + 1))/24" dev "veth$n" &&
                 ip -n "$ns" link set "veth$n" up && ip -n "$ns" link set lo up || exit 1
             done; } 2>&1) || _sc_fail "veth set-up failed: $out"
    for n in 0 1; do  # nsenter --net, not `ip netns exec`: that hides /sys/fs/cgroup, which slurmd needs
        nsenter --net="/run/netns/$(_sc_netns_name $n)" unshare --uts --mount --propagation private \
            sh -c 'mount --bind "$0/hosts" /etc/hosts && mount --bind "$0/etc" /etc/slurm && hostname "$1" &&
                   exec sleep 3600' "$r" "node$n" > "$r/log/anchor-node$n.log" 2>&1 < /dev/null &
        _sc_anchor[$n]=$!; disown
    done
    for n in 0 1; do  # the anchor is ready once sh has exec'd sleep
        _sc_wait_for 5 "node$n's namespaces" grep -qx sleep "/proc/${_sc_anchor[$n]}/comm"
    done
    _sc_on 0 slurmctld -D -c -i > "$r/log/slurmctld.stderr.log" 2>&1 < /dev/null &
    _sc_pids+=($!); disown
    _sc_wait_for 20 "slurmctld's start" sh -c "nsenter -t ${_sc_anchor[0]} -n -u -m scontrol ping | grep -q UP"
    for n in 0 1; do
        _sc_on $n slurmd -D > "$r/log/slurmd-node$n.stderr.log" 2>&1 < /dev/null &
        _sc_pids+=($!); disown
    done
    _sc_wait_for 30 "two idle nodes in sinfo" _sc_nodes_idle
}

# The commands of a login node, run on node0. Each runs in the background and is waited for, so
# that SIGTERM (or the watchdog) reaches this shell at once, not after the command.
_sc_client() {
    local status
    _sc_on 0 "$@" &
    wait $! && status=0 || status=$?
    return $status
}
srun() { _sc_client srun "$@"; }
salloc() { _sc_client salloc "$@"; }
scontrol() { _sc_client scontrol "$@"; }
squeue() { _sc_client squeue "$@"; }
sinfo() { _sc_client sinfo "$@"; }
scancel() { _sc_client scancel "$@"; }
sbatch() {  # sbatch --wait: a job that does not end COMPLETED fails the script, with the logs
    local status job arg waits=
    for arg in "$@"; do [ "$arg" = --wait ] || [ "$arg" = -W ] && waits=1; done
    _sc_client sbatch "$@" > "$_sc_root/sbatch.out" && status=0 || status=$?  # not $(...): TERM must not wait
    cat "$_sc_root/sbatch.out"
    job=$(sed -n 's/^Submitted batch job \([0-9]*\).*/\1/p' "$_sc_root/sbatch.out")
    if [ -n "$waits" ] && [ "$status" != 0 ]; then
        _sc_fail "sbatch --wait: job ${job:-?} did not end COMPLETED (sbatch exited with status $status)" "$job"
    fi
    return $status
}

trap '_sc_teardown' EXIT
trap '_sc_teardown; exit 130' INT
trap '_sc_on_term' TERM

_sc_why=$(_sc_why_not)
if [ -n "$_sc_why" ]; then
    _sc_say "cannot start the cluster: $_sc_why"
    exit 2
fi
_sc_root=$(mktemp -d "${TMPDIR:-/tmp}/lightning-slurm-$_sc_id.XXXXXX") || _sc_fail "mktemp failed"
touch "$_sc_root/started"
( trap - EXIT INT TERM  # the watchdog
  sleep "$SLURM_CLUSTER_TIMEOUT" & wait $!
  touch "$_sc_root/timed-out"
  kill -TERM "$_sc_id" ) > /dev/null 2>&1 < /dev/null &
_sc_watchdog=$!; disown
_sc_up
