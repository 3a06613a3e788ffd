"""The rehearsals' namespace layer (tools/rehearsal/nodes.sh) through two_nodes.sh: real namespaces, bounded,
nothing left behind.

The deck's own block (snippet ``two_nodes``) runs the good case with the deck. Here: the plumbing
(two namespaces, two addresses, two host names, one link), a rendezvous that cannot complete
(fails fast and readably), a hung node (the watchdog) and a killed run, each followed by a check
that no process and no namespace outlives it. slurm_cluster.sh shares the layer: tests/tooling/test_slurm_cluster.py.
"""

from __future__ import annotations

import signal
from pathlib import Path

from tests.support.cluster import LIMIT, TWO_NODES, assert_nothing_left, require, run, start


def test_two_nodes_have_their_own_addresses_names_and_link(tmp_path: Path):
    require(TWO_NODES)
    # node0 listens on its own address; node1 connects to it by host name, across the veth link.
    (tmp_path / "listen.py").write_text("import socket\ns = socket.create_server(('10.77.0.1', 29999))\n"
                                        "print('connection from', s.accept()[1][0])\n")
    (tmp_path / "connect.py").write_text("import socket, time\nfor _ in range(50):\n    try:\n"
                                         "        socket.create_connection(('node0', 29999)); break\n"
                                         "    except OSError:\n        time.sleep(0.1)\n")
    script = """
        source two_nodes.sh
        on_node 0 sh -c 'hostname; ip -4 -o addr show dev veth0 | cut -d " " -f 7; python listen.py'
        on_node 1 sh -c 'hostname; ip -4 -o addr show dev veth1 | cut -d " " -f 7; python connect.py'
        wait_nodes
        cat node0.log node1.log
    """
    done, _, tag = run(script, tmp_path, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n") == ["node0", "10.77.0.1/24", "connection from 10.77.0.2", "node1", "10.77.0.2/24", ""]
    assert "each in its own network namespace" in done.stderr and "HEAD=node0" in done.stderr
    assert_nothing_left(tag)


def test_without_namespaces_it_says_why_and_uses_loopback(tmp_path: Path):
    done, _, _ = run('source two_nodes.sh; echo "$HEAD"', tmp_path, timeout=30, TWO_NODES_NETNS="off")
    assert done.returncode == 0 and done.stdout == "localhost\n"
    assert "no network namespaces (TWO_NODES_NETNS=off): both nodes run on this machine's loopback" in done.stderr


def test_a_rendezvous_that_cannot_complete_fails_fast_and_readably(tmp_path: Path):
    """torchrun on node 0 only, as a reader who forgot node 1: node 0 waits for it, then gives up."""
    require(TWO_NODES)
    (tmp_path / "noop.py").write_text("print('training')\n")
    script = ("source two_nodes.sh; on_node 0 torchrun --nnodes=2 --nproc-per-node=1 --rdzv-id=r --rdzv-backend=c10d "
              "--rdzv-endpoint=$HEAD:29500 noop.py; wait_nodes")
    # two_nodes.sh's join timeout is 20 s (PET_RDZV_CONF), the reader's default; 3 s fails the same way.
    done, seconds, tag = run(script, tmp_path, PET_RDZV_CONF="join_timeout=3,read_timeout=3")
    assert done.returncode == 1, done.stdout + done.stderr
    assert seconds <= LIMIT, f"took {seconds:.0f} s"
    assert "----- node0.log" in done.stderr and "RendezvousTimeoutError" in done.stderr  # the agent's own output
    assert "two_nodes.sh: failed: node0 exited with status 1" in done.stderr
    assert ("the rendezvous did not complete: did every node start, with the same --nnodes, --rdzv-id "
            "and --rdzv-endpoint (node 0's address)?") in done.stderr
    assert done.stdout == "" and "training" not in done.stderr
    assert_nothing_left(tag)


def test_a_node_that_hangs_is_stopped_at_the_time_limit(tmp_path: Path):
    script = "source two_nodes.sh; on_node 0 sleep 300; on_node 1 sh -c 'sleep 300 & sleep 300'; wait_nodes"
    done, seconds, tag = run(script, tmp_path, TWO_NODES_TIMEOUT="3")
    assert done.returncode == 1
    assert seconds < 15, f"took {seconds:.0f} s"
    assert "two_nodes.sh: failed: the nodes still ran after 3 s and were stopped" in done.stderr
    assert "----- node1.log" in done.stderr
    assert_nothing_left(tag)


def test_an_interrupted_run_leaves_nothing_behind(tmp_path: Path):
    """Ctrl-C or a killed CI job: the nodes and the namespaces go with the shell."""
    shell, tag = start("source two_nodes.sh; on_node 0 sleep 300; on_node 1 sleep 300; echo started; wait_nodes",
                       tmp_path)
    assert shell.stdout.readline() == "started\n"
    shell.send_signal(signal.SIGTERM)
    assert shell.wait(timeout=15) == 143
    assert_nothing_left(tag)
