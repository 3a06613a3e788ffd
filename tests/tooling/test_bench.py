"""The benchmark (bench/) works end to end on a tiny run, and the 性能 slide renders from the kept results."""

from __future__ import annotations

import json

import pytest
import torch

from bench import worker
from bench.__main__ import interleaved, main
from bench.slide import render
from deck.paths import BENCH_RESULTS


@pytest.mark.filterwarnings("ignore")  # Lightning's advice on a 2-step fit (few workers, small log interval)
def test_a_tiny_run_of_every_arm_writes_results_the_slide_renders(tmp_path):
    """Every arm of both experiments trains 2 steps, once (in this process, for speed; `make bench`
    starts a fresh process per run), through the same rounds, summaries, report and renderer."""
    args = ["--out", str(tmp_path), "--steps", "2", "--rounds", "1", "--breakdown-rounds", "1", "--warmup-rounds", "0"]
    with torch.random.fork_rng():
        assert main(args, run=worker.run) == 0
    results = json.loads((tmp_path / "results.json").read_text())
    assert list(results["parity"]["arms"]) == ["plain", "lightning", "bare"]
    assert len({arm["loss"] for arm in results["parity"]["arms"].values()}) == 1
    assert set(results["breakdown"]["parts"]) >= {"self.log", "progress bar", "Trainer loop"}
    assert "five defaults off" in (tmp_path / "results.md").read_text()
    assert render(results).startswith("# 性能")


def test_arms_that_train_different_models_fail_loudly():
    def run(arm: str) -> dict:
        return {"seconds": 1.0, "ms_per_step": 1.0, "loss": 0.5 if arm == "plain" else 0.6}

    with pytest.raises(RuntimeError, match="did not train the same model"):
        interleaved(("plain", "lightning"), rounds=1, warmup=0, run=run, log=lambda message: None)


def test_the_slide_renders_from_the_kept_results_and_its_ratio_is_the_tables():
    slide = render(json.loads(BENCH_RESULTS.read_text(encoding="utf-8")))
    rows = {line.split(" | ")[0].strip("| "): line.strip("| ").split(" | ")[1:] for line in slide.splitlines()
            if line.startswith("| ")}
    medians = [float(cell.removesuffix(" 秒")) for cell in next(v for k, v in rows.items() if k.startswith("時間"))]
    ratios = [float(cell.split("（")[0]) for cell in next(v for k, v in rows.items() if k.startswith("比"))]
    assert ratios == [1, *(round(m / medians[0], 2) for m in medians[1:])]  # what the shown medians give
    assert slide.rstrip().endswith("-->")  # the speaker note
