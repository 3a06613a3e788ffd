# nodes.sh: the namespace layer of the rehearsals, sourced by two_nodes.sh and slurm_cluster.sh (not by the
# deck). Two "nodes" on this machine, each a network, UTS and mount namespace of its own, joined by a veth pair:
#
#     node0  SUBNET.1/24 <-- veth --> SUBNET.2/24  node1
#
# In its mount namespace a node sees an /etc/hosts naming node0 and node1 (and whatever else nodes_up is
# asked to mount), so commands are the ones a reader types on a cluster. The nodes share this machine's
# files, like NFS on a cluster. Names are per run (the sourcing shell's PID): two runs do not meet.
#
#   nodes_begin              the run's folder ($NODES_DIR), the traps and the watchdog
#   nodes_why_not            the reason the namespaces cannot be made here, or nothing
#   nodes_up SUBNET [SRC:DST ...]   make the nodes (fails the script through nodes_fail when it cannot)
#   nodes_on N COMMAND...    run COMMAND on node N (its network, host name and files), in this folder
#   nodes_start N COMMAND... the same, in the background; its process is killed at the end
#   nodes_down               kill every process of the run (by namespace and by descendant), delete the
#                            namespaces and the run's folder ($NODES_DIR); also on exit, SIGINT and SIGTERM
#   nodes_fail MESSAGE [ARG] the script's nodes_logs ARG, the message, nodes_down, exit 1
#   nodes_wait_for SECONDS WHAT COMMAND...   poll COMMAND until it succeeds, or nodes_fail
#
# Bounded: a watchdog sends SIGTERM to the sourcing shell NODES_TIMEOUT seconds after `source`; the script's
# nodes_on_timeout (its logs and message) then runs, and the shell exits with status 1.
# Needs root, iproute2 (ip), util-linux (nsenter, unshare) and CAP_SYS_ADMIN (a container: --privileged).

_nodes_id=$$
_nodes_ns=()      # the network namespaces made
_nodes_anchor=()  # per node: the process that holds its namespaces (nsenter -t)
_nodes_pids=()    # what the script started here: killed with their descendants
_nodes_watchdog=

_nodes_say() { echo "${NODES_SCRIPT}: $*" >&2; }

nodes_why_not() {
    local c out
    [ "$(id -u)" = 0 ] || { echo "not root: network namespaces need root"; return; }
    for c in ip nsenter unshare; do
        command -v $c >/dev/null || { echo "no $c command: apt-get install iproute2 util-linux"; return; }
    done
    out=$(ip netns add "lightning-probe-$$" 2>&1) ||
        { echo "ip netns add failed ($out): network namespaces need CAP_SYS_ADMIN (a container: --privileged)"; return; }
    ip netns delete "lightning-probe-$$"
}

_nodes_tree() {  # a process and all its descendants (torchrun starts its workers in new sessions)
    local child
    echo "$1"
    for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do _nodes_tree "$child"; done
}

_nodes_alive() {  # those of the given pids that are alive: a killed process is a zombie until reaped
    local pid state
    for pid in "$@"; do
        state=$(ps -o stat= -p "$pid" 2>/dev/null) || continue
        case $state in Z*) ;; *) echo "$pid" ;; esac
    done
}

nodes_down() {
    local ns pid pids tries
    trap - EXIT INT TERM
    [ -n "$_nodes_watchdog" ] && kill -KILL $(_nodes_tree "$_nodes_watchdog") 2>/dev/null
    disown -a  # no "Killed" line from this shell for what is killed below
    for tries in $(seq 50); do  # slurmstepd forks and detaches: kill until the namespaces are empty
        pids=("${_nodes_anchor[@]}")
        for pid in "${_nodes_pids[@]}"; do pids+=($(_nodes_tree "$pid")); done
        for ns in "${_nodes_ns[@]}"; do pids+=($(ip netns pids "$ns" 2>/dev/null)); done
        pids=($(_nodes_alive "${pids[@]}"))
        [ ${#pids[@]} -gt 0 ] || break
        kill -KILL "${pids[@]}" 2>/dev/null
        sleep 0.1
    done
    for ns in "${_nodes_ns[@]}"; do ip netns delete "$ns" 2>/dev/null; done
    [ -n "${NODES_DIR:-}" ] && rm -rf "$NODES_DIR"
    _nodes_ns=() _nodes_anchor=() _nodes_pids=() _nodes_watchdog= NODES_DIR=
    return 0
}

nodes_fail() {  # nodes_fail MESSAGE: the script's logs (nodes_logs), the message, everything torn down, exit 1
    _nodes_say "$1"
    declare -F nodes_logs >/dev/null && nodes_logs "${@:2}"
    _nodes_say "failed: $1"
    nodes_down
    exit 1
}

_nodes_on_term() {
    if [ -n "${NODES_DIR:-}" ] && [ -e "$NODES_DIR/timed-out" ]; then
        nodes_on_timeout  # the script's: ends with nodes_fail
    fi
    nodes_down
    exit 143
}

nodes_wait_for() {  # nodes_wait_for SECONDS WHAT COMMAND...: poll COMMAND every 0.1 s until it succeeds
    local seconds=$1 limit=$((SECONDS + $1)) what=$2; shift 2
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$limit" ] || nodes_fail "$what did not happen within $seconds s"
        sleep 0.1
    done
}

nodes_up() {
    local subnet=$1 n ns out; shift
    for n in 0 1; do
        ns="lightning-$_nodes_id-node$n"
        out=$(ip netns add "$ns" 2>&1) || nodes_fail "ip netns add $ns failed: $out"
        _nodes_ns+=("$ns")
    done
    out=$( { ip link add veth0 netns "${_nodes_ns[0]}" type veth peer name veth1 netns "${_nodes_ns[1]}" &&
             for n in 0 1; do
                 ip -n "${_nodes_ns[$n]}" addr add "$subnet.$((n + 1))/24" dev "veth$n" &&
                 ip -n "${_nodes_ns[$n]}" link set "veth$n" up && ip -n "${_nodes_ns[$n]}" link set lo up || exit 1
             done; } 2>&1) || nodes_fail "veth set-up failed: $out"
    printf '127.0.0.1 localhost\n%s.1 node0\n%s.2 node1\n' "$subnet" "$subnet" > "$NODES_DIR/hosts"
    for n in 0 1; do  # nsenter --net, not `ip netns exec`: that remounts /sys, and the anchor's mounts stay
        nsenter --net="/run/netns/${_nodes_ns[$n]}" unshare --uts --mount --propagation private \
            sh -c 'mount --bind "$0" /etc/hosts && hostname "$1" && shift &&
                   for bind; do mount --bind "${bind%%:*}" "${bind#*:}" || exit 1; done && exec sleep 3600' \
            "$NODES_DIR/hosts" "node$n" "$@" > "$NODES_DIR/anchor-node$n.log" 2>&1 < /dev/null &
        _nodes_anchor[$n]=$!; disown  # a `wait` of the script does not wait for it
    done
    for n in 0 1; do  # the anchor is ready once sh has exec'd sleep
        nodes_wait_for 5 "node$n's namespaces" grep -qx sleep "/proc/${_nodes_anchor[$n]}/comm"
    done
}

nodes_on() {
    local n=$1; shift
    nsenter -t "${_nodes_anchor[$n]}" -n -u -m --wd="$PWD" "$@"
}

nodes_start() {  # nodes_start N COMMAND...: in the background (or here, when there are no nodes); $! is it
    local n=$1; shift
    if [ ${#_nodes_anchor[@]} -gt 0 ]; then nodes_on "$n" "$@" & else "$@" & fi
    _nodes_pids+=($!)
}

nodes_begin() {  # the run's folder, the traps and the watchdog: after the script's own checks
    trap 'nodes_down' EXIT
    trap 'nodes_down; exit 130' INT
    trap '_nodes_on_term' TERM
    NODES_DIR=$(mktemp -d "${TMPDIR:-/tmp}/lightning-nodes-$_nodes_id.XXXXXX") || { _nodes_say "mktemp failed"; exit 1; }
    chmod 0755 "$NODES_DIR"  # munged checks that every process can reach its socket
    touch "$NODES_DIR/started"
    ( trap - EXIT INT TERM  # the watchdog
      sleep "$NODES_TIMEOUT" & wait $!
      touch "$NODES_DIR/timed-out"
      kill -TERM "$_nodes_id" ) > /dev/null 2>&1 < /dev/null &
    _nodes_watchdog=$!; disown
}
