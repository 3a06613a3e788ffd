"""The multi-node rehearsal (tools/rehearsal/two_nodes.sh): real namespaces, bounded, nothing left behind.

The deck's own block (snippet ``two_nodes``) runs the good case with the deck. Here: the plumbing
(two namespaces, two addresses, two host names, one link), a rendezvous that cannot complete
(fails fast and readably), a hung node (the watchdog) and a killed run, each followed by a check
that no process and no namespace outlives it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

import deck
from deck.paths import DATA, DECKS, ROOT

HELPER = ROOT / "tools" / "rehearsal" / "two_nodes.sh"


def _blocks() -> list[deck.Block]:
    return [b for path in DECKS for b in deck.load(path).blocks]


def rehearsal_block() -> deck.Block:
    block = next((b for b in _blocks() if b.name == "two_nodes.sh"), None)
    assert block, "no block named two_nodes (<!-- snippet: two_nodes -->) in the deck"
    return block


def reader_folder(folder: Path) -> Path:
    """A folder as the reader's: the deck's modules saved as files, MNIST under data/."""
    for block in _blocks():
        if block.is_module:
            (folder / block.name).write_text(block.file_text, encoding="utf-8")
    (folder / "data").symlink_to(DATA, target_is_directory=True)
    return folder


def start(script: str, folder: Path, helper: Path = HELPER, **env: str) -> tuple[subprocess.Popen, str]:
    """Start a bash script in `folder` with `helper`'s folder (tools/rehearsal/) on PATH; returns the shell
    and the tag its processes carry in their environment (to find any that outlive it)."""
    tag = uuid.uuid4().hex
    environment = {**os.environ, **env, "REHEARSAL_TEST_TAG": tag,
                   "PATH": os.pathsep.join([str(Path(sys.executable).parent), str(helper.parent), os.environ["PATH"]])}
    shell = subprocess.Popen(["bash", "-c", script], cwd=folder, env=environment, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    _shell_of[tag] = shell.pid
    return shell, tag


def wait(shell: subprocess.Popen, timeout: float) -> subprocess.CompletedProcess:
    """The finished shell's result; past `timeout` it is killed and the timeout raised."""
    try:
        out, err = shell.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        shell.kill()
        shell.communicate()
        raise
    return subprocess.CompletedProcess(shell.args, shell.returncode, out, err)


def run(script: str, folder: Path, timeout: float = 90, **env: str) -> tuple[subprocess.CompletedProcess, float, str]:
    """Run a bash script in `folder` with two_nodes.sh on PATH; returns the result, its wall time and its tag."""
    begin = time.monotonic()
    shell, tag = start(script, folder, **env)
    return wait(shell, timeout), time.monotonic() - begin, tag


_shell_of: dict[str, int] = {}  # tag -> the shell that sourced two_nodes.sh (its PID names the namespaces)


def survivors(tag: str) -> list[str]:
    """Processes still running with this run's tag in their environment."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if f"REHEARSAL_TEST_TAG={tag}".encode() in (proc / "environ").read_bytes().split(b"\0"):
                command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
                found.append(f"{proc.name}: {command}")
        except OSError:
            continue
    return found


def namespaces() -> list[str]:
    try:
        listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    except FileNotFoundError:
        return []
    return [line.split()[0] for line in listed.splitlines() if line.startswith("lightning-rehearsal-")]


def assert_nothing_left(tag: str) -> None:
    """No process and no namespace of this run (two_nodes.sh names them after its shell's PID: another
    run on the same machine, such as a second checkout's tests, has its own)."""
    time.sleep(0.5)
    assert survivors(tag) == [], "processes outlived the run"
    mine = f"lightning-rehearsal-{_shell_of[tag]}-"
    assert [ns for ns in namespaces() if ns.startswith(mine)] == [], "network namespaces outlived the run"


@pytest.fixture
def netns_or_skip(tmp_path: Path) -> None:
    """Skip, with two_nodes.sh's own reason, where network namespaces cannot be made."""
    done, _, _ = run("TWO_NODES_NETNS=require; source two_nodes.sh", tmp_path, timeout=30)
    if done.returncode != 0:
        pytest.skip(done.stderr.strip().splitlines()[-1])


def test_two_nodes_have_their_own_addresses_names_and_link(tmp_path: Path, netns_or_skip):
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
