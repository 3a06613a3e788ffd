# two_nodes.sh: two "nodes" on one machine, for the deck's multi-node rehearsal. Source it in bash:
#
#     source two_nodes.sh       # sets HEAD, defines on_node and wait_nodes
#     on_node 0 torchrun ... --rdzv-endpoint=$HEAD:29500 train.py fit ...
#     on_node 1 torchrun ... --rdzv-endpoint=$HEAD:29500 train.py fit ...
#     wait_nodes
#
# Each node gets its own network namespace, address and host name, joined by a veth pair (nodes.sh):
#
#     node0  10.77.0.1/24 <-- veth --> 10.77.0.2/24  node1        (HEAD=node0)
#
# so the rendezvous really crosses a network link to node 0's address, as on a cluster, and torch
# tells the nodes apart by host name (it sorts them by name to number them). This needs root,
# iproute2, util-linux and CAP_SYS_ADMIN; without them both nodes run on this machine's loopback
# (HEAD=localhost) and the reason is printed on stderr; TWO_NODES_NETNS=off forces that.
# `bash two_nodes.sh --why-not` prints only the reason (nothing when the namespaces can be made) and
# starts nothing.
#
# Bounded: torchrun gives up a rendezvous after 20 s (PET_RDZV_CONF, torchrun's environment form
# of --rdzv-conf; its default is 10 minutes), and nodes.sh's watchdog stops the nodes after
# TWO_NODES_TIMEOUT seconds (default 60). A node that fails or times out has its log (node<N>.log)
# printed on stderr, and the sourcing shell exits with status 1; nothing outlives the run.
#
# Kept out of the deck's speaker notes (what a presenter says aloud): the addresses, the veth link,
# root, the loopback fallback and the time limits above. Without this script, a reader can rehearse
# on one PC by running the deck's torchrun command in two terminals, with
# --rdzv-endpoint=localhost:29500 in both. The SLURM slides have a rehearsal of their own, a real
# Slurm cluster of two nodes: slurm_cluster.sh.

source "$(dirname "${BASH_SOURCE[0]}")/nodes.sh"
NODES_SCRIPT=two_nodes.sh
NODES_TIMEOUT=${TWO_NODES_TIMEOUT:=60}  # counted from `source two_nodes.sh`
export PET_RDZV_CONF="${PET_RDZV_CONF:-join_timeout=20,read_timeout=20}"
_tn_pids=()

if [ "${BASH_SOURCE[0]}" = "$0" ]; then  # run, not sourced
    [ "${1:-}" = --why-not ] && { nodes_why_not; exit 0; }
    echo "usage: source two_nodes.sh (in bash), or bash two_nodes.sh --why-not" >&2
    exit 2
fi

nodes_logs() {
    local n
    for n in "${!_tn_pids[@]}"; do
        echo "----- node$n.log (last 30 lines) -----" >&2
        tail -n 30 "node$n.log" >&2
    done
    if grep -qs "RendezvousTimeoutError\|RendezvousConnectionError" node*.log; then
        _nodes_say "the rendezvous did not complete: did every node start, with the same --nnodes, --rdzv-id and --rdzv-endpoint (node 0's address)?"
    fi
}
nodes_on_timeout() { nodes_fail "the nodes still ran after ${TWO_NODES_TIMEOUT} s and were stopped"; }

_tn_why=$([ "${TWO_NODES_NETNS:-}" = off ] && echo "TWO_NODES_NETNS=off" || nodes_why_not)
nodes_begin
if [ -z "$_tn_why" ]; then
    nodes_up 10.77.0
    HEAD=node0
    _nodes_say "node0 = 10.77.0.1 and node1 = 10.77.0.2, each in its own network namespace, joined by a veth pair; HEAD=$HEAD"
else
    HEAD=localhost
    _nodes_say "no network namespaces ($_tn_why): both nodes run on this machine's loopback; HEAD=$HEAD"
fi

# on_node N COMMAND...: start COMMAND as node N, in the background (its output goes to nodeN.log).
on_node() {
    local n=$1; shift
    nodes_start "$n" "$@" > "node$n.log" 2>&1 < /dev/null
    _tn_pids[$n]=$!
}

# wait_nodes: wait for every node; when one fails (or the time runs out: the watchdog), print every
# node's log and exit 1.
wait_nodes() {
    local n status failed=()
    for n in "${!_tn_pids[@]}"; do
        wait "${_tn_pids[$n]}" && status=0 || status=$?
        [ "$status" = 0 ] || failed+=("node$n exited with status $status")
    done
    [ ${#failed[@]} -eq 0 ] || nodes_fail "$(printf '%s; ' "${failed[@]}")"
    nodes_down
}
