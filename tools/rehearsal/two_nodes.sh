# two_nodes.sh: two "nodes" on one machine, for the deck's multi-node rehearsal. Source it in bash:
#
#     source two_nodes.sh       # sets HEAD, defines on_node and wait_nodes
#     on_node 0 torchrun ... --rdzv-endpoint=$HEAD:29500 train.py fit ...
#     on_node 1 torchrun ... --rdzv-endpoint=$HEAD:29500 train.py fit ...
#     wait_nodes
#
# Each node gets its own network namespace, address and host name, joined by a veth pair:
#
#     node0  10.77.0.1/24 <-- veth --> 10.77.0.2/24  node1        (HEAD=node0)
#
# so the rendezvous really crosses a network link to node 0's address, as on a cluster, and torch
# tells the nodes apart by host name (it sorts them by name to number them). This needs root,
# iproute2 (`ip netns`) and util-linux (`unshare`); without them both nodes run on this machine's
# loopback (HEAD=localhost) and the reason is printed on stderr. TWO_NODES_NETNS=off forces that;
# TWO_NODES_NETNS=require makes it an error instead.
#
# Bounded: torchrun gives up a rendezvous after 20 s (PET_RDZV_CONF, torchrun's environment form
# of --rdzv-conf; its default is 10 minutes), and a watchdog ends every node after
# TWO_NODES_TIMEOUT seconds (default 60). On exit, also on failure or Ctrl-C, every node's process
# group is killed and the namespaces are deleted. A node that fails or times out has its log
# (node<N>.log) printed on stderr, and the sourcing shell exits with status 1.
#
# Kept out of the deck's speaker notes (what a presenter says aloud): the addresses, the veth link,
# root, the loopback fallback and the time limits above. Without this script, a reader can rehearse
# on one PC by running the deck's torchrun command in two terminals, with
# --rdzv-endpoint=localhost:29500 in both. The SLURM slides have a rehearsal of their own, a real
# Slurm cluster of two nodes: slurm_cluster.sh.

_tn_id=$$
_tn_pids=()
_tn_netns=()
: "${TWO_NODES_TIMEOUT:=60}"
_tn_deadline=$((SECONDS + TWO_NODES_TIMEOUT))  # counted from `source two_nodes.sh`
export PET_RDZV_CONF="${PET_RDZV_CONF:-join_timeout=20,read_timeout=20}"

_tn_say() { echo "two_nodes.sh: $*" >&2; }

_tn_netns_name() { echo "lightning-rehearsal-$_tn_id-node$1"; }

_tn_tree() {  # a process and all its descendants (torchrun starts its workers in new sessions)
    local child
    echo "$1"
    for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do _tn_tree "$child"; done
}

_tn_teardown() {
    local pid ns pids=() tries
    for pid in "${_tn_pids[@]}"; do pids+=($(_tn_tree "$pid")); done
    if [ ${#pids[@]} -gt 0 ]; then
        kill -TERM "${pids[@]}" 2>/dev/null  # torchrun stops its workers on SIGTERM
        for tries in $(seq 20); do kill -0 "${pids[@]}" 2>/dev/null || break; sleep 0.25; done
        kill -KILL "${pids[@]}" 2>/dev/null
        wait "${_tn_pids[@]}" 2>/dev/null
    fi
    for ns in "${_tn_netns[@]}"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
        ip netns delete "$ns" 2>/dev/null
        rm -rf "/etc/netns/$ns"
        rmdir /etc/netns 2>/dev/null  # only if it was there for us alone
    done
    _tn_pids=() _tn_netns=()
    return 0
}

_tn_setup_netns() {  # sets _tn_why and returns 1 when the namespaces cannot be made
    local n ns out
    _tn_why=
    if [ "$(id -u)" != 0 ]; then _tn_why="not root: ip netns needs root"
    elif ! command -v ip >/dev/null; then _tn_why="no ip command: apt-get install iproute2"
    elif ! command -v unshare >/dev/null; then _tn_why="no unshare command: apt-get install util-linux"
    fi
    [ -z "$_tn_why" ] || return 1
    for n in 0 1; do
        ns=$(_tn_netns_name $n)
        out=$(ip netns add "$ns" 2>&1) || { _tn_why="ip netns add failed: $out"; return 1; }
        _tn_netns+=("$ns")
        mkdir -p "/etc/netns/$ns"  # `ip netns exec` mounts these files over /etc inside the namespace
        printf '127.0.0.1 localhost\n10.77.0.1 node0\n10.77.0.2 node1\n' > "/etc/netns/$ns/hosts"
    done
    out=$( { ip link add veth0 netns "$(_tn_netns_name 0)" type veth peer name veth1 netns "$(_tn_netns_name 1)" &&
             for n in 0 1; do
                 ns=$(_tn_netns_name $n)
                 ip -n "$ns" addr add "10.77.0.$((n + 1))/24" dev "veth$n" &&
                 ip -n "$ns" link set "veth$n" up && ip -n "$ns" link set lo up || exit 1
             done; } 2>&1) || { _tn_why="veth set-up failed: $out"; return 1; }
    out=$(ip netns exec "$(_tn_netns_name 0)" unshare --uts sh -c 'hostname node0' 2>&1) ||
        { _tn_why="unshare --uts failed: $out"; return 1; }
}

trap '_tn_teardown' EXIT
trap '_tn_teardown; exit 130' INT
trap '_tn_teardown; exit 143' TERM

if [ "${TWO_NODES_NETNS:-auto}" = off ]; then
    _tn_why="TWO_NODES_NETNS=off"
else
    _tn_setup_netns
fi
if [ -z "$_tn_why" ]; then
    HEAD=node0
    _tn_say "node0 = 10.77.0.1 and node1 = 10.77.0.2, each in its own network namespace, joined by a veth pair; HEAD=$HEAD"
else
    _tn_teardown  # whatever was half made
    if [ "${TWO_NODES_NETNS:-auto}" = require ]; then
        _tn_say "error: no network namespaces ($_tn_why), and TWO_NODES_NETNS=require"
        exit 1
    fi
    HEAD=localhost
    _tn_say "no network namespaces ($_tn_why): both nodes run on this machine's loopback; HEAD=$HEAD"
fi

# on_node N COMMAND...: start COMMAND as node N, in the background (its output goes to nodeN.log).
on_node() {
    local n=$1; shift
    if [ ${#_tn_netns[@]} -gt 0 ]; then
        ip netns exec "$(_tn_netns_name "$n")" \
            unshare --uts sh -c 'hostname "$0" && exec "$@"' "node$n" "$@" > "node$n.log" 2>&1 < /dev/null &
    else
        "$@" > "node$n.log" 2>&1 < /dev/null &
    fi
    _tn_pids[$n]=$!
}

# wait_nodes: wait for every node; when one fails or the time runs out, print every node's log
# and exit 1.
wait_nodes() {
    local n pid status running failed=()
    while :; do  # a watchdog: after the limit, SIGTERM to every node (as Ctrl-C would)
        running=0
        for pid in "${_tn_pids[@]}"; do kill -0 "$pid" 2>/dev/null && running=1; done
        [ $running = 1 ] || break
        if [ "$SECONDS" -ge "$_tn_deadline" ]; then
            failed+=("the nodes still ran after ${TWO_NODES_TIMEOUT} s and were stopped")
            kill -TERM "${_tn_pids[@]}" 2>/dev/null
            break
        fi
        sleep 0.25
    done
    for n in "${!_tn_pids[@]}"; do
        wait "${_tn_pids[$n]}" && status=0 || status=$?
        [ "$status" = 0 ] || failed+=("node$n exited with status $status")
    done
    if [ ${#failed[@]} -gt 0 ]; then
        for n in "${!_tn_pids[@]}"; do
            echo "----- node$n.log (last 30 lines) -----" >&2
            tail -n 30 "node$n.log" >&2
        done
        _tn_say "failed: $(printf '%s; ' "${failed[@]}")"
        if grep -qs "RendezvousTimeoutError\|RendezvousConnectionError" node*.log; then
            _tn_say "the rendezvous did not complete: did every node start, with the same --nnodes, --rdzv-id and --rdzv-endpoint (node 0's address)?"
        fi
        exit 1
    fi
    _tn_teardown
}
