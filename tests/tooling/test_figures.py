"""Figures are made by the deck's own blocks, kept with what they plot, and never silently stale."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import deck
from tools import figures

FIGURE_DECK = textwrap.dedent('''\
    ---
    marp: true
    ---

    # 学習曲線

    <!-- snippet: curve -->
    ```python
    import io

    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot([0, 1, 2], [1.0, 0.5, 0.25], label="学習")
    ax.set_xlabel("ステップ")
    fig.savefig("curve.svg")
    fig.savefig(io.StringIO(), format="svg")  # a buffer: the harness lets it pass, not a deck figure
    ```

    ![学習曲線：ステップごとに下がる](figures/curve.svg)
''')


def test_make_figures_keeps_what_it_plots_and_a_changed_figure_fails_on_its_device(tmp_path: Path, run_deck):
    made = run_deck(FIGURE_DECK, "--update-figures")
    assert made.returncode == 0, made.stdout
    record_file = tmp_path / "figures" / "curve.json"
    record = json.loads(record_file.read_text(encoding="utf-8"))
    assert (tmp_path / "figures" / "curve.svg").read_text().startswith("<?xml")
    assert record["block"] == "curve.py" and record["slide"] == "学習曲線"
    assert record["plotted"]["axes"][0]["lines"][0]["y"] == [1.0, 0.5, 0.25]
    assert record["plotted"]["smallest_text_pt"] >= figures.BODY_PX * 72 / figures.DPI  # slide body size
    assert record["device"] == figures.device()
    assert figures.stale([tmp_path / "deck.md"]) == []

    assert run_deck(FIGURE_DECK).returncode == 0  # a fresh run plots the same numbers

    changed = FIGURE_DECK.replace("0.25]", "0.3]")
    done = run_deck(changed)
    assert done.returncode == 1
    assert "figure figures/curve.svg" in done.stdout or f"{tmp_path}/figures/curve.svg" in done.stdout
    assert "0.25 recorded, 0.3 now" in done.stdout and "make figures" in done.stdout
    stale = figures.stale([tmp_path / "deck.md"])
    assert len(stale) == 1 and "figures/curve.svg" in stale[0] and "(slide 1「学習曲線」)" in stale[0]
    assert "the code that made it changed: run `make figures`" in stale[0]

    # Recorded on another device (the deck's fit trains on the GPU where there is one): said, not failed.
    record["device"] = "cuda" if figures.device() != "cuda" else "cpu"
    record_file.write_text(json.dumps(record), encoding="utf-8")
    done = run_deck(changed)
    assert done.returncode == 0, done.stdout
    assert "NotCompared: figure" in done.stdout and "figures/curve.svg" in done.stdout, done.stdout
    assert f"was recorded on {record['device']}, this run trains on {figures.device()}" in done.stdout
    assert "0.25 recorded, 0.3 now" in done.stdout


def test_a_figure_without_a_record_is_named_and_other_versions_are_a_note_not_a_failure(tmp_path: Path):
    """A reader's newer torch or matplotlib is not a stale figure (the deck's run compares what it plots)."""
    path = tmp_path / "deck.md"
    path.write_text(FIGURE_DECK, encoding="utf-8")
    assert figures.stale([path]) == [f"figure figures/curve.svg on {path} (slide 1「学習曲線」) is missing or has no "
                                     "record: run `make figures`"]

    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "curve.svg").write_text("<svg/>")
    block = next(b for b in deck.load(path).blocks if b.name == "curve.py")
    record = {"figure": "curve.svg", "block": "curve.py", "code": figures.code_hash(block),
              "versions": {**figures.versions(), "matplotlib": "0.1"}}
    (tmp_path / "figures" / "curve.json").write_text(json.dumps(record))
    problems, notes = figures.review([path])
    assert problems == [] and len(notes) == 1
    assert notes[0].startswith(f"note: figure figures/curve.svg on {path} (slide 1「学習曲線」) was made with "
                               "{'matplotlib': '0.1'}")
    assert notes[0].endswith("`make figures` remakes it")
