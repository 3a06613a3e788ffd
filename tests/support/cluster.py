"""Running the rehearsals (tools/rehearsal/two_nodes.sh, slurm_cluster.sh, their layer nodes.sh) from a test,
and finding anything of a run that outlives it. Not a test module: tests/tooling/ and tests/claims/ use it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from harness import blocks

TWO_NODES = blocks.REHEARSAL / "two_nodes.sh"
SLURM_CLUSTER = blocks.REHEARSAL / "slurm_cluster.sh"
LIMIT = 60  # seconds: a failing or hung job fails the run within this, logs and all

# Appended to `source two_nodes.sh` / `source slurm_cluster.sh`: the run's network namespaces by inode, to find
# any process still in one after they are deleted (slurmd starts slurmstepd with an environment of its own).
RECORD = "; stat -L -c %i /run/netns/lightning-$$-node0 /run/netns/lightning-$$-node1 > .netns 2>/dev/null"

_runs: dict[str, tuple[int, Path]] = {}  # tag -> (the shell that sourced the script: it names the run, its folder)


def require(script: Path) -> None:
    """Skip (outside CI) or fail (in CI) with the script's own reason where it cannot make its nodes."""
    if why := blocks.cluster_why_not(script.name):
        blocks.without_cluster(script.name, why)


def start(script: str, folder: Path, **env: str) -> tuple[subprocess.Popen, str]:
    """Start a bash script in `folder` with tools/rehearsal/ on PATH; returns the shell and the tag its
    processes carry in their environment."""
    for name in (TWO_NODES.name, SLURM_CLUSTER.name):
        script = script.replace(f"source {name}", f"source {name}{RECORD}", 1)
    tag = uuid.uuid4().hex
    path = os.pathsep.join([str(Path(sys.executable).parent), str(blocks.REHEARSAL), os.environ["PATH"]])
    shell = subprocess.Popen(["bash", "-c", script], cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env={**os.environ, **env, "REHEARSAL_TEST_TAG": tag, "PATH": path})
    _runs[tag] = (shell.pid, folder)
    return shell, tag


def run(script: str, folder: Path, timeout: float = 90, **env: str) -> tuple[subprocess.CompletedProcess, float, str]:
    """Run a bash script in `folder`: its result, its wall time and its tag. Past `timeout` it is killed and the
    timeout raised."""
    begin = time.monotonic()
    shell, tag = start(script, folder, **env)
    try:
        out, err = shell.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        shell.kill()
        shell.communicate()
        raise
    return subprocess.CompletedProcess(shell.args, shell.returncode, out, err), time.monotonic() - begin, tag


def leftovers(tag: str) -> list[str]:
    """What of this run outlives it: processes (by the tag in their environment, or in one of its network
    namespaces, deleted or not), its namespaces, its folder, and any veth of its subnets here."""
    pid, folder = _runs[tag]
    record = folder / ".netns"
    inodes = {f"net:[{i}]" for i in record.read_text().split()} if record.is_file() else set()
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if not proc.name.isdigit():
                continue
            if f"REHEARSAL_TEST_TAG={tag}".encode() in (proc / "environ").read_bytes().split(b"\0"):
                command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                found.append(f"process {proc.name}: {command}")
            elif os.readlink(proc / "ns" / "net") in inodes:
                found.append(f"process {proc.name} in the run's network namespace: {(proc / 'comm').read_text().strip()}")
        except OSError:  # gone, or a zombie (its namespaces are released)
            continue
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    found += [f"namespace {line.split()[0]}" for line in listed.splitlines() if line.startswith(f"lightning-{pid}-")]
    found += [f"folder {p}" for p in Path(os.environ.get("TMPDIR", "/tmp")).glob(f"lightning-nodes-{pid}.*")]
    links = subprocess.run(["ip", "-o", "link", "show", "type", "veth"], capture_output=True, text=True).stdout
    found += [f"veth {line}" for line in links.splitlines() if "10.77." in line or "10.79." in line]
    return found


def assert_nothing_left(tag: str) -> None:
    for _ in range(30):  # a killed process is gone once reaped
        if not leftovers(tag):
            return
        time.sleep(0.1)
    assert leftovers(tag) == [], "the run left these behind"
