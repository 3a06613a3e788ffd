"""The SLURM rehearsal (tools/rehearsal/slurm_cluster.sh): a real two-node Slurm cluster, bounded, nothing left behind.

The deck's own blocks (snippets ``slurm_sbatch`` and ``slurm_questions``) run the good cases with the
deck. Here: the plumbing (two nodes, their host names, the controller on node0), a job that fails and
a job that hangs (each fails the run within 60 s, with the job's state, its output and the daemons'
logs), a run killed with SIGTERM, and
the reason given where the cluster cannot start. Every run is followed by a check that no process,
namespace or file of it outlives it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from deck.paths import ROOT
from tests.tooling.test_cluster_rehearsal import _blocks, _shell_of, survivors, wait
from tests.tooling.test_cluster_rehearsal import start as start_with

HELPER = ROOT / "tools" / "rehearsal" / "slurm_cluster.sh"
LIMIT = 60  # seconds: a failing or hung job fails the run within this, logs and all


def deck_block(name: str):
    block = next((b for b in _blocks() if b.name == f"{name}.sh"), None)
    assert block, f"no block named {name} (<!-- snippet: {name} -->) in the deck"
    return block


def why_not() -> str:
    done = subprocess.run(["bash", str(HELPER), "--why-not"], capture_output=True, text=True, timeout=30)
    return done.stdout.strip()


@pytest.fixture
def cluster_or_skip() -> None:
    """Skip, with slurm_cluster.sh's own reason, where the cluster cannot start."""
    if why := why_not():
        pytest.skip(f"no Slurm cluster on this machine: {why}")


_folder_of: dict[str, Path] = {}  # tag -> the folder it ran in


# Appended to `source slurm_cluster.sh`: the run's network namespaces by inode, to find any process still in
# one after they are deleted (slurmd starts slurmstepd with an environment of its own, so the tag misses it).
RECORD_NAMESPACES = "; stat -L -c %i /run/netns/lightning-slurm-$$-node0 /run/netns/lightning-slurm-$$-node1 > .netns"


def start(script: str, folder: Path, **env: str) -> tuple[subprocess.Popen, str]:
    """Start a script that sources slurm_cluster.sh, recording its network namespaces (RECORD_NAMESPACES)."""
    script = script.replace("source slurm_cluster.sh", "source slurm_cluster.sh" + RECORD_NAMESPACES, 1)
    shell, tag = start_with(script, folder, HELPER, **env)
    _folder_of[tag] = folder
    return shell, tag


def run(script: str, folder: Path, timeout: float = 90, **env: str) -> tuple[subprocess.CompletedProcess, float, str]:
    """Run a bash script in `folder` with slurm_cluster.sh on PATH: the result, its wall time and its tag."""
    begin = time.monotonic()
    shell, tag = start(script, folder, **env)
    return wait(shell, timeout), time.monotonic() - begin, tag


def leftovers(tag: str) -> list[str]:
    """What of this run outlives it: processes (by the tag in their environment, or in one of its network
    namespaces, deleted or not), its network namespaces, its folder and any veth of its subnet here."""
    pid = _shell_of[tag]
    found = [f"process {p}" for p in survivors(tag)]
    record = _folder_of[tag] / ".netns"
    inodes = {f"net:[{i}]" for i in record.read_text().split()} if record.is_file() else set()
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and os.readlink(proc / "ns" / "net") in inodes:
                found.append(f"process {proc.name} in the run's network namespace: {(proc / 'comm').read_text().strip()}")
        except OSError:  # gone, or a zombie (its namespaces are released)
            continue
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    found += [f"namespace {line.split()[0]}" for line in listed.splitlines()
              if line.startswith(f"lightning-slurm-{pid}-")]
    tmp = Path(os.environ.get("TMPDIR", "/tmp"))
    found += [f"folder {p}" for p in tmp.glob(f"lightning-slurm-{pid}.*")]
    links = subprocess.run(["ip", "-o", "link", "show", "type", "veth"], capture_output=True, text=True).stdout
    found += [f"veth {line}" for line in links.splitlines() if "10.79." in line]
    return found


def assert_nothing_left(tag: str) -> None:
    for _ in range(30):  # a killed process is gone once reaped
        if not leftovers(tag):
            return
        time.sleep(0.1)
    assert leftovers(tag) == [], "the run left these behind"


def test_two_nodes_with_their_own_names_and_the_controller_on_node0(tmp_path: Path, cluster_or_skip):
    """The commands run as on node0 (a login node that is also a compute node), and a batch script on the
    first node of its job, where `scontrol show hostnames` lists the job's nodes."""
    (tmp_path / "check.sbatch").write_text("#!/bin/bash\n#SBATCH --nodes=2\n"
                                           'echo "submitted from $SLURM_SUBMIT_HOST, runs on $(hostname)"\n'
                                           "scontrol show hostnames\n")
    script = """
        source slurm_cluster.sh
        hostname > host.txt
        srun --nodes=2 hostname | sort
        sinfo -h -N -o '%N %t'
        scontrol ping | grep -o 'is UP'
        sbatch --wait check.sbatch
        cat slurm-2.out
    """
    done, seconds, tag = run(script, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ("node0\nnode1\nnode0 idle\nnode1 idle\nis UP\nSubmitted batch job 2\n"
                           "submitted from node0, runs on node0\nnode0\nnode1\n")
    assert (tmp_path / "host.txt").read_text() != "node0\n"  # the script itself stays on this machine
    assert seconds < 30, f"took {seconds:.0f} s"
    assert_nothing_left(tag)


def test_a_failing_job_fails_the_run_fast_with_the_logs(tmp_path: Path, cluster_or_skip):
    (tmp_path / "fail.sbatch").write_text("#!/bin/bash\n#SBATCH --nodes=2\nsrun bash -c 'echo task $SLURM_PROCID; "
                                          "exit $((SLURM_PROCID * 3))'\n")
    done, seconds, tag = run("source slurm_cluster.sh; sbatch --wait fail.sbatch; echo not reached", tmp_path)
    assert done.returncode == 1
    assert seconds <= LIMIT, f"took {seconds:.0f} s"
    assert done.stdout == "Submitted batch job 1\n"
    err = done.stderr
    assert "slurm_cluster.sh: failed: sbatch --wait: job 1 did not end COMPLETED (sbatch exited with status 3)" in err
    assert "JobState=FAILED Reason=NonZeroExitCode" in err
    assert "----- ./slurm-1.out" in err and "srun: error: node1: task 1: Exited with exit code 3" in err
    for log in ("slurmctld.log", "slurmd-node0.log", "slurmd-node1.log", "munged.log"):
        assert f"----- {log} (last 20 lines) -----" in err
    assert_nothing_left(tag)


def test_a_hung_job_is_stopped_at_the_time_limit(tmp_path: Path, cluster_or_skip):
    (tmp_path / "hang.sbatch").write_text("#!/bin/bash\n#SBATCH --nodes=2\nsrun sleep 300\n")
    done, seconds, tag = run("source slurm_cluster.sh; sbatch --wait hang.sbatch", tmp_path,
                             SLURM_CLUSTER_TIMEOUT="10")
    assert done.returncode == 1
    assert seconds < 20, f"took {seconds:.0f} s"
    err = done.stderr
    assert "slurm_cluster.sh: failed: the cluster still ran 10 s after it was started, and was stopped" in err
    assert "JobState=RUNNING" in err and "----- slurmctld.log" in err
    assert_nothing_left(tag)


def test_the_default_time_limit_fails_a_hung_job_within_a_minute():
    default = re.search(r'^: "\$\{SLURM_CLUSTER_TIMEOUT:=(\d+)\}"$', HELPER.read_text(), re.M)
    assert default and int(default.group(1)) + 5 <= LIMIT  # start-up, logs and teardown take < 2 s


def test_an_interrupted_run_leaves_nothing_behind(tmp_path: Path, cluster_or_skip):
    """SIGTERM (a killed CI job) while sbatch --wait waits for a running job: the cluster goes with the shell."""
    (tmp_path / "hang.sbatch").write_text("#!/bin/bash\n#SBATCH --nodes=2\nsrun sleep 300\n")
    shell, tag = start("source slurm_cluster.sh; echo started; sbatch --wait hang.sbatch", tmp_path)
    assert shell.stdout.readline() == "started\n"
    for _ in range(150):  # until the job runs (batch jobs start ~3 s after slurmctld): the check below must
        running = leftovers(tag)  # find gone what it sees now, the job's slurmstepd included
        if any("slurmstepd" in line for line in running):
            break
        time.sleep(0.1)
    assert any("slurmstepd" in line for line in running) and any("namespace" in line for line in running), running
    begin = time.monotonic()
    shell.send_signal(signal.SIGTERM)
    assert shell.wait(timeout=15) == 143
    assert time.monotonic() - begin < 5
    shell.communicate()
    assert_nothing_left(tag)


def test_where_the_cluster_cannot_start_it_says_why(tmp_path: Path):
    """One reason, from the first thing missing; the deck's blocks are skipped with it (harness/run.py)."""
    without_slurm = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep)
                                    if not (Path(p) / "slurmd").exists() and not (Path(p) / "munged").exists())
    done = subprocess.run(["bash", str(HELPER), "--why-not"], capture_output=True, text=True,
                          env={**os.environ, "PATH": without_slurm})
    if "not root" in done.stdout:
        pytest.skip("not root: " + done.stdout.strip())
    assert done.stdout == "no munged: apt-get install --no-install-recommends slurmctld slurmd slurm-client munge\n"
    # Without a cgroup file system (slurmd 22.05 needs one): unmounted in a mount namespace of our own.
    unmounted = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                                f"umount -R /sys/fs/cgroup 2>/dev/null || umount -l /sys/fs/cgroup; "
                                f"bash {HELPER} --why-not"], capture_output=True, text=True)
    if unmounted.returncode != 0 or why_not():
        pytest.skip(f"cannot test the cgroup case here: {unmounted.stderr.strip() or why_not()}")
    assert unmounted.stdout == ("no cgroup file system mounted on /sys/fs/cgroup: Slurm 22.05's slurmd does not "
                                "start without one\n")
    sourced = subprocess.run(["bash", "-c", f"source {HELPER}; echo not reached"], capture_output=True, text=True,
                             env={**os.environ, "PATH": without_slurm})
    assert sourced.returncode == 2 and sourced.stdout == ""
    assert sourced.stderr.startswith("slurm_cluster.sh: cannot start the cluster: no munged")
    assert not list(Path(os.environ.get("TMPDIR", "/tmp")).glob(f"lightning-slurm-{os.getpid()}.*"))


def test_a_deck_block_that_needs_the_cluster_is_skipped_with_the_reason(run_deck):
    """The harness asks slurm_cluster.sh --why-not before such a block runs: here the scratch deck's PATH
    (/usr/bin:/bin) has no munged, as on a machine without the Slurm packages."""
    deck = "# A slide\n\n<!-- snippet: cluster -->\n```bash\nsource slurm_cluster.sh\necho never\n```\n"
    done = run_deck(deck, "-rs")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout
    assert ("no Slurm cluster on this machine: no munged: apt-get install --no-install-recommends slurmctld "
            "slurmd slurm-client munge") in done.stdout or "not root" in done.stdout
