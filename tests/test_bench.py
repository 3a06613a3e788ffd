"""`make bench` runs and writes its outputs (smoke: a few steps), and the 性能 slide is its output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tools.bench_slide import HEADING, render

ROOT = Path(__file__).resolve().parent.parent


def test_bench_runs_and_writes_its_outputs(tmp_path: Path):
    cmd = [sys.executable, "-m", "tools.bench", "--out", str(tmp_path), "--steps", "3", "--repeats", "1",
           "--overhead-rounds", "1", "--skip-build"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text())
    parity = results["parity"]
    assert parity["steps"] == 3 and parity["losses_agree"]
    assert all(parity[arm]["median"] > 0 for arm in ("plain", "lightning", "bare"))
    assert parity["target_met"] == (parity["lightning"]["ratio"]["median"] <= parity["target_ratio"])
    costs = results["overhead"]["costs"]
    assert {"progress bar", "logger (CSV)", "checkpointing", "model summary", "sanity check", "self.log"} <= set(costs)
    assert results["machine"]["torch"] and results["machine"]["cores"] >= 1
    assert 0 <= results["fit"]["curve"][-1]["test_acc"] <= 1
    report = (tmp_path / "results.md").read_text()
    assert "÷ plain" in report and "What Lightning adds per step" in report and report in done.stdout
    assert (tmp_path / "parity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    slide = render(results)  # the slide renderer reads what the bench writes
    assert slide.startswith(HEADING) and "self.log" in slide
