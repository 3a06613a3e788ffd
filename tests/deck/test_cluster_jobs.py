"""The deck's own cluster blocks, run with what a reader gets wrong: the two-node rehearsal's block with
node 1 never started, and the SLURM batch script with a --trainer.num_nodes that does not match. Each is
proven (skipped as cached) while the block, the deck's modules and the rehearsal script are unchanged.
The rehearsals' plumbing: tests/tooling/test_cluster_rehearsal.py, tests/tooling/test_slurm_cluster.py."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.tooling import test_cluster_rehearsal as rehearsal
from tests.tooling.test_slurm_cluster import HELPER, LIMIT, assert_nothing_left, cluster_or_skip, deck_block, run

__all__ = ["cluster_or_skip"]  # a fixture, used by name


@pytest.mark.slow
def test_a_rendezvous_that_cannot_complete_fails_fast_and_readably(tmp_path: Path, proven):
    """The deck's own command with node 1 never started: node 0 waits for it, then gives up."""
    block = rehearsal.rehearsal_block()
    if proven(rehearsal.HELPER.read_text(), block.code, *(b.file_text for b in rehearsal._blocks() if b.is_module)):  # ~20 s
        return
    assert "for NODE in 0 1; do" in block.code
    script = block.code.replace("for NODE in 0 1; do", "for NODE in 0; do  # node 1 never starts")
    done, seconds, tag = rehearsal.run(script, rehearsal.reader_folder(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    assert seconds <= 60, f"took {seconds:.0f} s"
    assert "----- node0.log" in done.stderr and "RendezvousTimeoutError" in done.stderr  # the agent's own output
    assert "two_nodes.sh: failed: node0 exited with status 1" in done.stderr
    assert ("the rendezvous did not complete: did every node start, with the same --nnodes, --rdzv-id "
            "and --rdzv-endpoint (node 0's address)?") in done.stderr
    assert done.stdout == ""  # no rank reports: training never started
    rehearsal.assert_nothing_left(tag)


def decks_job_with(num_nodes: str, folder: Path, proven) -> tuple[subprocess.CompletedProcess, float, str] | None:
    """The deck's own block with another --trainer.num_nodes on the two SLURM nodes (None: proven before)."""
    block = deck_block("slurm_sbatch")
    if proven(HELPER.read_text(), block.code, *(b.file_text for b in rehearsal._blocks() if b.is_module)):  # ~15 s
        return None
    assert "--trainer.num_nodes=2" in block.code
    return run(block.code.replace("--trainer.num_nodes=2", f"--trainer.num_nodes={num_nodes}"),
               rehearsal.reader_folder(folder))


@pytest.mark.slow
def test_the_decks_job_with_a_setting_lightning_refuses_fails_readably(tmp_path: Path, cluster_or_skip, proven):
    """--trainer.num_nodes=3 on two SLURM nodes: Lightning refuses before training, the job ends FAILED,
    and the run stops within a minute, showing Lightning's own message from the job's output file."""
    if not (ran := decks_job_with("3", tmp_path, proven)):
        return
    done, seconds, tag = ran
    assert done.returncode == 1, done.stdout + done.stderr
    assert seconds <= LIMIT, f"took {seconds:.0f} s"
    assert done.stdout == "Submitted batch job 1\n"  # no rank reports: training never started
    assert "slurm_cluster.sh: failed: sbatch --wait: job 1 did not end COMPLETED" in done.stderr
    assert ("You set `num_nodes=3` in Lightning, but the number of nodes configured in SLURM `--nodes=2` "
            "does not match. HINT: Set `num_nodes=2`.") in done.stderr
    assert "----- slurmctld.log" in done.stderr
    assert_nothing_left(tag)


@pytest.mark.slow
def test_the_decks_job_without_num_nodes_trains_once_per_node(tmp_path: Path, cluster_or_skip, proven):
    """--trainer.num_nodes=1 (as if forgotten) with one task per node: no error from Lightning; each task
    trains on its own, with a plain sampler, which the deck's RankReport (made for DistributedSampler) trips on."""
    if not (ran := decks_job_with("1", tmp_path, proven)):
        return
    done, seconds, tag = ran
    assert done.returncode == 1 and seconds <= LIMIT, done.stderr
    assert "You set `num_nodes" not in done.stderr and "does not match" not in done.stderr
    assert "AttributeError: 'RandomSampler' object has no attribute 'dataset'" in done.stderr  # the log's tail
    job_output = (tmp_path / "slurm-1.out").read_text()
    assert job_output.count("AttributeError: 'RandomSampler' object has no attribute 'dataset'") == 2  # each node
    assert_nothing_left(tag)
