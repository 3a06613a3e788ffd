# slurm_cluster.sh: a real Slurm cluster of two nodes on one machine, for the deck's SLURM slides.
# Source it in bash; the rest of the script then runs as if logged in to node0:
#
#     source slurm_cluster.sh          # starts munged, slurmctld and one slurmd per node
#     sbatch --wait train.sbatch       # sbatch, srun, scontrol, squeue, sinfo, scancel run on node0
#     cat rank*.txt
#
# The cluster is Debian's Slurm (slurmctld, slurmd, slurm-client, munge), unchanged. Each node is a
# network, UTS and mount namespace of its own, joined by a veth pair (nodes.sh, shared with two_nodes.sh):
#
#     node0  10.79.0.1/24 <-- veth --> 10.79.0.2/24  node1      (slurmctld and the "login" on node0)
#
# Each node also sees the run's slurm.conf at /etc/slurm, so every command is the one a reader types on a
# cluster (no -f, no SLURM_CONF); a job runs in the folder it was submitted from. munged's socket, the
# state, the spool and the logs are in the run's folder, removed at the end.
#
# No cgroups: Slurm 22.05's slurmd loads a cgroup plugin even when slurm.conf uses none (proctrack/linuxproc,
# task/none, jobacct_gather/none). The autodetected one wants systemd's D-Bus on a cgroup-v2-only host
# (GitHub's runners), or stops where /proc/self/cgroup lists v1 ("Hybrid mode is not supported").
# cgroup.conf names cgroup/v1, whose init() reads no cgroup file (src/plugins/cgroup/v1/cgroup_v1.c):
# the nodes start with cgroup v1, v2 or none mounted (tests/tooling/test_slurm_cluster.py).
#
# Bounded (nodes.sh): every start-up wait has its own limit, and the watchdog stops the whole cluster
# SLURM_CLUSTER_TIMEOUT seconds (default 50) after `source`. `sbatch --wait` whose job does not end
# COMPLETED, and the watchdog, print the job's state, its output files and the daemons' logs on stderr,
# and the sourcing shell exits with status 1. Needs the Slurm and munge packages besides what nodes.sh
# needs; without one of them sourcing prints the reason and exits with status 2. `bash slurm_cluster.sh
# --why-not` prints only the reason (nothing when the cluster can start) and starts nothing.
#
# Kept out of the deck's speaker notes (what a presenter says aloud): the namespaces, addresses,
# root and the time limits above. On a real cluster the reader is logged in to a login node, the
# administrators run the daemons, and the batch script and `sbatch` are the same.

source "$(dirname "${BASH_SOURCE[0]}")/nodes.sh"
NODES_SCRIPT=slurm_cluster.sh
NODES_TIMEOUT=${SLURM_CLUSTER_TIMEOUT:=50}

_sc_why_not() {  # the reason the cluster cannot start here, or nothing
    local c
    for c in munged munge slurmctld slurmd sbatch; do
        command -v $c >/dev/null ||
            { echo "no $c: apt-get install --no-install-recommends slurmctld slurmd slurm-client munge"; return; }
    done
    [ -d /etc/slurm ] || { echo "no /etc/slurm folder (the nodes mount their configuration there)"; return; }
    nodes_why_not
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then  # run, not sourced
    [ "${1:-}" = --why-not ] && { _sc_why_not; exit 0; }
    echo "usage: source slurm_cluster.sh (in bash), or bash slurm_cluster.sh --why-not" >&2
    exit 2
fi

nodes_logs() {  # the job's state and output files, then the daemons' logs, on stderr
    local job=${1:-} file
    {
        if [ -n "${_nodes_anchor[0]:-}" ]; then
            if [ -n "$job" ]; then
                echo "----- scontrol show job $job -----"
                nodes_on 0 timeout 5 scontrol show job "$job" 2>&1 |
                    grep -E "JobState|Reason|ExitCode|StdOut|NodeList" | sed 's/^ *//'
            fi
            echo "----- squeue -----"
            nodes_on 0 timeout 5 squeue 2>&1
        fi
        for file in $(find . -maxdepth 1 -type f \( -name '*.out' -o -name '*.err' \) -newer "$NODES_DIR/started" \
                      2>/dev/null | sort); do
            echo "----- $file (last 20 lines) -----"
            tail -n 20 "$file"; echo
        done
        for file in "$NODES_DIR"/log/*.log; do  # a daemon's stderr only where it has no log of its own
            case $file in *.stderr.log) [ -s "${file%.stderr.log}.log" ] && continue ;; esac
            [ -s "$file" ] || continue
            echo "----- $(basename "$file") (last 20 lines) -----"
            tail -n 20 "$file"
        done
    } 2>&1 | sed -e '$a\' >&2  # a last line without its newline gets one
}

nodes_on_timeout() {
    local job
    job=$(nodes_on 0 timeout 5 squeue -h -o %i 2>/dev/null | head -n 1)
    nodes_fail "the cluster still ran ${SLURM_CLUSTER_TIMEOUT} s after it was started, and was stopped" "$job"
}

_sc_config() {  # slurm.conf and cgroup.conf, munge's key
    local r=$NODES_DIR
    mkdir -p "$r/etc" "$r/state" "$r/spool/node0" "$r/spool/node1" "$r/log" "$r/munge"
    chmod 0755 "$r/munge"
    dd if=/dev/urandom of="$r/munge/munge.key" bs=1024 count=1 status=none
    chmod 0600 "$r/munge/munge.key"
    printf '# no cgroup needed: see slurm_cluster.sh\nCgroupPlugin=cgroup/v1\n' > "$r/etc/cgroup.conf"
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
    [ "$(nodes_on 0 sinfo -h -N -o '%N %t' 2>/dev/null | sort | tr '\n' ' ')" = "node0 idle node1 idle " ]
}

_sc_up() {
    local n r=$NODES_DIR
    _sc_config
    munged -F --key-file="$r/munge/munge.key" --socket="$r/munge/munge.sock" --pid-file="$r/munge/munged.pid" \
        --seed-file="$r/munge/munged.seed" > "$r/log/munged.log" 2>&1 < /dev/null &
    _nodes_pids+=($!); disown
    nodes_wait_for 10 "munged's start" sh -c "munge -n -S '$r/munge/munge.sock' | unmunge -S '$r/munge/munge.sock'"
    nodes_up 10.79.0 "$r/etc:/etc/slurm"
    nodes_on 0 slurmctld -D -c -i > "$r/log/slurmctld.stderr.log" 2>&1 < /dev/null &
    _nodes_pids+=($!); disown
    nodes_wait_for 20 "slurmctld's start" nodes_on 0 sh -c "scontrol ping | grep -q UP"
    for n in 0 1; do
        nodes_on $n slurmd -D > "$r/log/slurmd-node$n.stderr.log" 2>&1 < /dev/null &
        _nodes_pids+=($!); disown
    done
    nodes_wait_for 30 "two idle nodes in sinfo" _sc_nodes_idle
}

# The commands of a login node, run on node0. Each runs in the background and is waited for, so
# that SIGTERM (or the watchdog) reaches this shell at once, not after the command.
_sc_client() {
    nodes_on 0 "$@" &
    wait $!
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
    _sc_client sbatch "$@" > "$NODES_DIR/sbatch.out" && status=0 || status=$?  # not $(...): TERM must not wait
    cat "$NODES_DIR/sbatch.out"
    job=$(sed -n 's/^Submitted batch job \([0-9]*\).*/\1/p' "$NODES_DIR/sbatch.out")
    if [ -n "$waits" ] && [ "$status" != 0 ]; then
        nodes_fail "sbatch --wait: job ${job:-?} did not end COMPLETED (sbatch exited with status $status)" "$job"
    fi
    return $status
}

_sc_why=$(_sc_why_not)
if [ -n "$_sc_why" ]; then
    _nodes_say "cannot start the cluster: $_sc_why"
    exit 2
fi
nodes_begin
_sc_up
