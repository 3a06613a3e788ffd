"""The 性能 slide's words agree with the kept results: its numbers are generated from them (the
table and two lines between the slide's `<!-- generated: performance -->` markers, bench/slide.py,
`make check`); its words (bullets, speaker note) are the deck's own, and each that reads the results
is checked here."""

from __future__ import annotations

import json

import deck
from bench import worker
from deck.paths import BENCH_RESULTS, DECKS

TITLE = "付録：性能：素の PyTorch のループとの比較"


def test_the_performance_slides_words_agree_with_the_results():
    slide = next(s for s in deck.load(DECKS[0]).slides if s.title == TITLE)
    words = slide.source.split("<!-- /generated -->")[1]  # the bullets and the note, after the numbers
    results = json.loads(BENCH_RESULTS.read_text(encoding="utf-8"))
    fits, runs = results["summary"]["cpu"]["fits"], results["experiments"]
    # 「1 ステップが重いほど、オーバーヘッドの割合は小さい」: a heavier step, and its whole interval below the deck's.
    assert "1 ステップが重いほど、オーバーヘッドの割合は小さい" in words
    assert fits["batch 512"]["plain_ms_per_step"] > fits["deck"]["plain_ms_per_step"]
    assert runs["batch 512"]["batch_size"] > runs["deck"]["batch_size"]
    assert fits["batch 512"]["share"]["high"] < fits["deck"]["share"]["low"], fits
    # 「GPU では未測定」: the bench trains on the CPU, whatever the machine has.
    assert "GPU では未測定" in words and worker.DEVICE["accelerator"] == "cpu"
