"""The main part is a 30-minute talk, and its speaker notes are what the presenter says.

The main part is the title slide up to and including 「まとめ」 (`deck.Deck.main`); the appendix
after it is for readers and questions, and none of this applies there. The presenter view shows a
note as plain text, so Markdown in it is noise, and a URL is nothing anyone can say aloud: evidence
belongs to the claims ledger, the appendix or the notebook.

Characters are counted as written in the deck's comments, Japanese and Latin alike: ~400 is about
a minute at 300 字/分. The talk's length is estimated as the review of 2026-12-07 did (`minutes`): the
note at 300 字/分, about 3 s to point through each code or output line and each table row, and 5 s to
change slides; at most 27 minutes leaves a few minutes for questions in a 30-minute slot.

What a student copies is advice (`test_every_demo_value_in_the_talk_is_marked_with_what_to_write_instead`):
a value that only serves the deck's own run is marked on its line 「資料用：自分の課題では …」.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

import deck
from deck.model import APPENDIX_PREFIX, SUMMARY_TITLE
from deck.paths import DECKS


DECK = DECKS[0]
MAX_NOTE = 400  # characters of one slide's notes
MAX_MINUTES = 27  # the main part's estimated length, questions not included
SPOKEN = 300  # 字/分
SECONDS_PER_LINE = 3  # code and output lines, table rows
SECONDS_PER_SLIDE = 5
DEMO_MARK = "資料用：自分の課題では"
# Settings that only make the deck's own run short or checkable; on a student's data each is a trap.
DEMO_SETTINGS = re.compile(r"limit_(train|val|test)_batches|max_steps\s*=|enable_progress_bar\s*=\s*False"
                           r"|accelerator\s*=\s*\"cpu\"|max_epochs\s*=\s*\d\b|^\s*assert\b|>=\s*0\.9\d")
URL = re.compile(r"(?:https?://|\bwww\.)[^\s<>()（）]*", re.I)
# What the presenter view would show as written: it renders a note as plain text.
MARKDOWN_NOISE = {"`": "a backtick", "**": "** (bold)", "<http": "an <http…> link", "](": "a [text](link)"}


def characters(slide: deck.Slide) -> int:
    return sum(len(note.text) for note in slide.notes)


def where(d: deck.Deck, slide: deck.Slide) -> str:
    line = slide.notes[0].line if slide.notes else slide.line
    return d.where(line)


def too_long(d: deck.Deck) -> list[str]:
    return [f"{where(d, s)}: {characters(s)} characters of notes (at most {MAX_NOTE}: about a minute of talk)"
            for s in d.main if characters(s) > MAX_NOTE]


def unspeakable(d: deck.Deck) -> list[str]:
    """Main-part notes with a URL or with Markdown the presenter view would show raw."""
    bad = []
    for s in d.main:
        for note in s.notes:
            found, urls = [], URL.findall(note.text)
            if urls:
                first = urls[0] if len(urls[0]) <= 50 else urls[0][:50] + "…"
                found.append(f"{len(urls)} URL{'s' * (len(urls) > 1)} ({first}{', …' * (len(urls) > 1)})")
            found += [what for mark, what in MARKDOWN_NOISE.items() if mark in note.text]
            if found:
                bad.append(f"{d.where(note.line)}: the note has {', '.join(found)}")
    return bad


def minutes(slide: deck.Slide) -> float:
    """The review's estimate: the note spoken, each code, output and table line pointed at, a change of slide."""
    lines = sum(len([l for l in f.code.splitlines() if l.strip()]) for f in slide.fences)
    rows = len(re.findall(r"^\|(?!\s*-)", slide.prose, re.M))
    return characters(slide) / SPOKEN + (SECONDS_PER_LINE * (lines + rows) + SECONDS_PER_SLIDE) / 60


def unmarked_demo_values(d: deck.Deck) -> list[str]:
    """Main-part lines that set a demo-only value without saying, on the line, what a student writes instead.
    A block that uses the demo Trainer (quick_trainer) demonstrates, it is not copied."""
    bad = []
    for block in d.blocks:
        if block.first.slide.appendix or "quick_trainer" in block.code:
            continue
        for n, line in enumerate(block.code.splitlines(), 1):
            if (DEMO_SETTINGS.search(line) or "資料用" in line) and DEMO_MARK not in line:
                bad.append(f"{d.where(block.deck_line(n))}: {line.strip()}")
    return bad


def test_the_main_part_ends_at_matome_and_the_appendix_follows_it():
    d = deck.load(DECK)
    assert d.main[-1].title == SUMMARY_TITLE, f"no slide is titled exactly 「{SUMMARY_TITLE}」: the talk has no end"
    misplaced = [f"slide {s.number}「{s.title}」" for s in d.appendix if not s.title.startswith(APPENDIX_PREFIX)]
    assert not misplaced, (f"slides after 「{SUMMARY_TITLE}」 are the appendix; title them "
                           f"「{APPENDIX_PREFIX}：…」 or move them before it:\n" + "\n".join(misplaced))


def test_each_main_note_is_about_a_minute():
    bad = too_long(deck.load(DECK))
    assert not bad, "speaker notes longer than a minute of talk:\n" + "\n".join(bad)


def test_the_talk_leaves_time_for_questions(capsys):
    d = deck.load(DECK)
    total = sum(minutes(s) for s in d.main)
    with capsys.disabled():
        print(f"\ntalk estimate: {total:.1f} min: " + ", ".join(f"{s.number} {minutes(s):.1f}" for s in d.main))
    longest = sorted(d.main, key=minutes, reverse=True)[:5]
    assert total <= MAX_MINUTES, (
        f"the main part takes about {total:.1f} minutes (notes at {SPOKEN} 字/分, {SECONDS_PER_LINE} s a code line or "
        f"table row), at most {MAX_MINUTES}: cut or move to the appendix; the longest: "
        + ", ".join(f"slide {s.number}「{s.title}」 {minutes(s):.1f} min" for s in longest))


def test_every_demo_value_in_the_talk_is_marked_with_what_to_write_instead():
    bad = unmarked_demo_values(deck.load(DECK))
    assert not bad, (f"a student copies these lines into their own project: mark each on the line itself, "
                     f"「# {DEMO_MARK}…」 with what to write instead, or move it to a demo block:\n" + "\n".join(bad))


def test_main_notes_have_no_url_and_no_markdown():
    bad = unspeakable(deck.load(DECK))
    assert not bad, ("main-part speaker notes are read aloud from the presenter view, which shows them as plain "
                     "text: move URLs to the claims ledger, the appendix or the notebook, and write names "
                     "without Markdown:\n" + "\n".join(bad))


def test_the_checks_name_the_slide_and_skip_the_appendix_and_the_demos(tmp_path: Path):
    long_note, fence = "あ" * (MAX_NOTE + 1), "`" * 3
    md = tmp_path / "deck.md"
    md.write_text(textwrap.dedent(f"""\
        ---
        marp: true
        ---

        # 表紙

        <!-- 短いノート -->

        ---

        # 長い

        <!-- {long_note} -->

        ---

        # リンク

        <!-- 出典は <https://example.com/> と `Trainer` の **説明** -->

        ---

        # 学習

        <!-- snippet: a -->
        {fence}python
        trainer = Trainer(max_epochs=2)
        trainer = Trainer(max_epochs=2)  # {DEMO_MARK} 100 など
        result = 1  # 資料用
        {fence}

        | 表 | 値 |
        | --- | --- |
        | a | b |

        ---

        # デモ

        <!-- snippet: b -->
        {fence}python
        trainer = quick_trainer(max_steps=5)
        {fence}

        ---

        # {SUMMARY_TITLE}

        ---

        # {APPENDIX_PREFIX}：詳細

        <!-- {long_note} https://example.com/ `code` -->

        <!-- snippet: c -->
        {fence}python
        trainer = Trainer(limit_train_batches=0.1)
        {fence}
        """), encoding="utf-8")
    d = deck.load(md)
    assert [s.title for s in d.main] == ["表紙", "長い", "リンク", "学習", "デモ", SUMMARY_TITLE]
    assert [s.title for s in d.appendix] == [f"{APPENDIX_PREFIX}：詳細"]
    limit = f"(at most {MAX_NOTE}: about a minute of talk)"
    assert too_long(d) == [f"{d.where(13)}: {MAX_NOTE + 1} characters of notes {limit}"]
    assert "(slide 2「長い」)" in too_long(d)[0]
    [link] = unspeakable(d)
    assert link.endswith("(slide 3「リンク」): the note has 1 URL (https://example.com/), "
                         "a backtick, ** (bold), an <http…> link")
    assert sum(characters(s) for s in d.main) == len("短いノート") + len(long_note) + len(
        "出典は <https://example.com/> と `Trainer` の **説明**")
    assert minutes(d.main[1]) == pytest.approx((MAX_NOTE + 1) / SPOKEN + SECONDS_PER_SLIDE / 60)
    # A demo value without its mark is named; a quick_trainer demo and the appendix are not.
    bad = unmarked_demo_values(d)
    assert [b.split(": ", 1)[1] for b in bad] == ["trainer = Trainer(max_epochs=2)", "result = 1  # 資料用"]
    assert "(slide 4「学習」)" in bad[0]
    assert minutes(d.main[3]) == pytest.approx((SECONDS_PER_LINE * (3 + 2) + SECONDS_PER_SLIDE) / 60)


def test_without_matome_the_appendix_starts_at_the_first_furoku(tmp_path: Path):
    md = tmp_path / "deck.md"
    md.write_text("# 表紙\n\n---\n\n# 本編\n\n---\n\n# 付録：A\n\n---\n\n# 付録：B\n", encoding="utf-8")
    d = deck.load(md)
    assert [s.number for s in d.main] == [1, 2] and [s.number for s in d.appendix] == [3, 4]
    md.write_text("# 表紙\n\n---\n\n# 本編\n", encoding="utf-8")
    assert len(deck.load(md).main) == 2
