"""The 性能 slide's words agree with the kept results: its numbers are generated from them (the
table between the slide's `<!-- generated: performance -->` markers, bench/slide.py, `make check`);
its words are the deck's own, and each that reads the results is checked here."""

from __future__ import annotations

import json

import deck
from bench import worker
from deck.paths import BENCH_RESULTS, DECKS

TITLE = "性能：素の PyTorch との比較"


def test_the_performance_slides_words_agree_with_the_results():
    slide = next(s for s in deck.load(DECKS[0]).slides if s.title == TITLE)
    words = slide.prose.split("<!-- /generated -->")[-1] + "".join(note.text for note in slide.notes)
    results = json.loads(BENCH_RESULTS.read_text(encoding="utf-8"))
    fits = results["summary"]["cpu"]["fits"]
    light, heavy = results["experiments"]["deck"], results["experiments"]["batch 512"]
    assert heavy["batch_size"] > light["batch_size"]
    # 「1 ステップが重いほど、上乗せの割合は小さい」: the heavier step's whole interval below the deck's.
    assert "1 ステップが重いほど、上乗せの割合は小さい" in words
    assert fits["batch 512"]["share"]["high"] < fits["deck"]["share"]["low"], fits
    # 「GPU ではまだ測っていない」: the bench trains on the CPU, whatever the machine has.
    assert "GPU ではまだ測っていない" in words and worker.DEVICE["accelerator"] == "cpu"
