"""The SLURM rehearsal (tools/rehearsal/slurm_cluster.sh): a real two-node Slurm cluster, bounded, nothing left behind.

The deck's own blocks (snippets ``slurm_sbatch`` and ``slurm_questions``) run the good cases with the deck, and
tests/claims/test_slurm.py what the cluster is (two nodes, logged in on node0). Here: a cgroup-v2-only host,
a job that fails and a job that hangs (each fails the run within 60 s, with the job's state, its output and the
daemons' logs), a run killed with SIGTERM, and the reason given where the cluster cannot start. Every run is
followed by a check that no process, namespace or file of it outlives it (tests/support/cluster.py).
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import time
from pathlib import Path

import pytest

from deck.paths import ROOT
from tests.support.cluster import LIMIT, SLURM_CLUSTER, assert_nothing_left, leftovers, require, run, start


def test_the_nodes_start_where_only_cgroup_v2_is_mounted(tmp_path: Path):
    """GitHub's runners mount only cgroup v2; this machine may mount v1. In a mount namespace of its own the run
    sees one cgroup2 hierarchy at /sys/fs/cgroup (the kernel still lists v1 hierarchies in /proc/self/cgroup:
    that is why Slurm's autodetected plugin stops here with "Hybrid mode is not supported", where GitHub's wants
    D-Bus). slurm_cluster.sh's cgroup.conf (cgroup/v1, which reads no cgroup file) starts the nodes either way."""
    require(SLURM_CLUSTER)
    view = "umount -R /sys/fs/cgroup 2>/dev/null || umount -l /sys/fs/cgroup; mount -t cgroup2 none /sys/fs/cgroup"
    script = f"""{view} || exit 3
        grep -c ' /sys/fs/cgroup' /proc/mounts
        source slurm_cluster.sh
        srun --nodes=2 hostname | sort"""
    done, _, tag = run(f"exec unshare --mount --propagation private bash -c {shlex.quote(script)}", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "1\nnode0\nnode1\n"
    assert_nothing_left(tag)


def test_a_failing_job_fails_the_run_fast_with_the_logs(tmp_path: Path):
    require(SLURM_CLUSTER)
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


def test_a_hung_job_is_stopped_at_the_time_limit(tmp_path: Path):
    require(SLURM_CLUSTER)
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
    default = re.search(r'^NODES_TIMEOUT=\$\{SLURM_CLUSTER_TIMEOUT:=(\d+)\}$', SLURM_CLUSTER.read_text(), re.M)
    assert default and int(default.group(1)) + 5 <= LIMIT  # start-up, logs and teardown take < 2 s


def test_an_interrupted_run_leaves_nothing_behind(tmp_path: Path):
    """SIGTERM (a killed CI job) while sbatch --wait waits for a running job: the cluster goes with the shell."""
    require(SLURM_CLUSTER)
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


def test_where_the_cluster_cannot_start_sourcing_it_says_why_and_goes_no_further():
    """Without the Slurm packages: the reason, and the rest of the script does not run. What `--why-not` says
    (the first thing missing: the packages, or network namespaces in a container without CAP_SYS_ADMIN) is the
    reason the harness gives: test_cluster_blocks_that_cannot_start_are_skipped_here_and_fail_in_ci."""
    without_slurm = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep)
                                    if not (Path(p) / "slurmd").exists() and not (Path(p) / "munged").exists())
    sourced = subprocess.run(["bash", "-c", f"source {SLURM_CLUSTER}; echo not reached"], capture_output=True,
                             text=True, env={**os.environ, "PATH": without_slurm})
    assert sourced.returncode == 2 and sourced.stdout == ""
    assert sourced.stderr == ("slurm_cluster.sh: cannot start the cluster: no munged: apt-get install "
                              "--no-install-recommends slurmctld slurmd slurm-client munge\n")


WITHOUT_CAP_SYS_ADMIN = ["setpriv", "--bounding-set", "-sys_admin", "--inh-caps", "-sys_admin"]  # as in Docker
DECK = ("# A slide\n\n<!-- snippet: nodes -->\n```bash\nsource two_nodes.sh\necho two\n```\n\n"
        "<!-- snippet: cluster -->\n```bash\nsource slurm_cluster.sh\necho slurm\n```\n")


def test_cluster_blocks_that_cannot_start_are_skipped_here_and_fail_in_ci(run_deck):
    """Outside CI a Slurm block is skipped with its reason (here the scratch deck's PATH, /usr/bin:/bin, has no
    munged) and two_nodes.sh runs on loopback; under CI=true, without CAP_SYS_ADMIN as in GitHub's default
    container, both fail with their reason: a green CI has run every block."""
    done = run_deck(DECK, "-rs")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed, 1 skipped" in done.stdout
    assert ("slurm_cluster.sh cannot start its nodes here: no munged: apt-get install --no-install-recommends "
            "slurmctld slurmd slurm-client munge") in done.stdout
    if os.getuid() != 0:
        pytest.skip("not root: CAP_SYS_ADMIN cannot be taken away")
    done = run_deck(DECK, wrapper=WITHOUT_CAP_SYS_ADMIN, env={**os.environ, "PYTHONPATH": str(ROOT), "CI": "true"})
    assert done.returncode == 1 and "2 failed" in done.stdout, done.stdout + done.stderr
    for script in ("two_nodes.sh", "slurm_cluster.sh"):
        assert re.search(rf"{script} cannot start its nodes, and CI runs every cluster block: ip netns add failed "
                         r"\(.*Operation not permitted\): network namespaces need CAP_SYS_ADMIN \(a container: "
                         r"--privileged\)\n", done.stdout), done.stdout
