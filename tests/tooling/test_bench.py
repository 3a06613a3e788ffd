"""The benchmark (bench/) works end to end on a tiny run, and the 性能 slide renders from the kept results."""

from __future__ import annotations

import json

import pytest
import torch

from bench import worker
from bench.__main__ import EXPERIMENTS, main, measure
from bench.slide import render
from deck.paths import BENCH_RESULTS


def in_this_process(experiment, order: list[str], root_dir: str) -> dict[str, dict]:
    """A round's runs one after another in this process (for speed; `make bench` forks a process per
    run and has them take turns)."""
    return {arm: worker.run(arm, experiment.steps, experiment.model, experiment.batch_size, experiment.threads,
                            f"{root_dir}/{arm}") for arm in order}


@pytest.mark.filterwarnings("ignore")  # Lightning's advice on a 2-step fit (few workers, small log interval)
def test_a_tiny_run_of_every_arm_writes_results_the_slide_renders(tmp_path):
    """Every arm of every experiment trains 2 steps, once, through the same rounds, summaries,
    intervals, report and renderer."""
    args = ["--out", str(tmp_path), "--steps", "2", "--rounds", "1"]
    with torch.random.fork_rng():
        assert main(args, run=in_this_process) == 0
    results = json.loads((tmp_path / "results.json").read_text())
    assert set(results["experiments"]) == set(EXPERIMENTS)
    for experiment in results["experiments"].values():
        assert len({arm["loss"] for arm in experiment["arms"].values()}) == 1  # the same model trained
    fit = results["summary"]["cpu"]["fits"]["deck"]
    assert fit["ratio"]["low"] <= fit["ratio"]["value"] <= fit["ratio"]["high"]
    assert set(results["summary"]["wall"]["parts"]) >= {"self.log", "progress bar", "Trainer loop"}
    assert "ratio, measured" in (tmp_path / "results.md").read_text()
    assert render(results).startswith("| 測定した学習")


def test_arms_that_train_different_models_fail_loudly():
    def run(experiment, order: list[str]) -> dict:
        return {arm: {"cpu_seconds": 1.0, "cpu_ms_per_step": 1.0, "loss": 0.5 if arm == "plain" else 0.6} for arm in order}

    with pytest.raises(RuntimeError, match="did not train the same model"):
        measure({"deck": EXPERIMENTS["deck"]}, rounds=1, warmup=0, minutes=1, run=run)


def test_the_slides_region_is_the_kept_numbers_in_a_table_and_two_lines():
    results = json.loads(BENCH_RESULTS.read_text(encoding="utf-8"))
    region = render(results)
    table, lines = region.rstrip("\n").split("\n\n")
    assert all(row.startswith("|") and row.endswith("|") for row in table.splitlines())
    deck_fit = results["summary"]["cpu"]["fits"]["deck"]
    ratio, cost = deck_fit["ratio"], deck_fit["ms_per_step"]
    assert f"{ratio['value']:.3f} 倍（{ratio['low']:.3f}〜{ratio['high']:.3f}）" in table
    assert f"{cost['value']:.1f} ms（{cost['low']:.1f}〜{cost['high']:.1f}）" in table
    heavy, machine = results["experiments"]["batch 512"], results["machine"]
    heavier, measured = lines.splitlines()
    assert heavier.startswith(f"バッチ {heavy['batch_size']}（1 ステップ ")
    assert measured.startswith(f"測定：{machine['date']}、CPU {machine['cores']} コア") and machine["pytorch_lightning"] in measured
    assert "<!--" not in region and "#" not in region  # the words (heading, bullets, note) are the deck's
