"""textlint runs on the slide text and on the speaker notes, and names the deck line of each finding.

These run the real textlint from node_modules (`make lint` / `npm ci` installs it)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from deck import load
from deck.paths import ROOT
from tools import lint_japanese

# A one-phrase lead line and bullets without 「。」, full sentences with 「。」, half-width spaces around
# half-width words and inline code: the house style. The comments that are not notes carry text
# that textlint would reject if it read them as notes.
GOOD_DECK = textwrap.dedent('''\
    ---
    marp: true
    lang: ja
    ---

    <!-- _class: lead -->
    <!-- _header: これは文です。これは句 -->

    # 最初のスライド

    PyTorch Lightning で MNIST を学習する

    - `Trainer` がループを実行する
    - 1 つの句なので句点はない

    文として書くときは句点で終える。次の文も同じ。

    <!--
    発表者はここで `Trainer` の役割を説明する。
    -->

    ---

    # コードのスライド

    <!-- pytest.mark.skip(reason="これは実行しない。GPU が必要") -->
    <!-- snippet: first -->
    ```python
    x = 1
    ```

    <!-- pytest-codeblocks:cont -->
    ```python
    y = x + 1
    ```
''')


def run_lint(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess, Path]:
    deck = tmp_path / "deck.md"
    deck.write_text(text, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "tools.lint_japanese", str(deck)], cwd=ROOT,
                          capture_output=True, text=True, env=env or dict(os.environ))
    return done, deck


def with_line(text: str, anchor: str, replacement: str) -> str:
    assert anchor in text
    return text.replace(anchor, replacement, 1)


def line_of(deck: Path, needle: str) -> int:
    return next(i for i, line in enumerate(deck.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_a_good_deck_passes(tmp_path: Path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    done, _ = run_lint(tmp_path, GOOD_DECK, env={**os.environ, "TMPDIR": str(tmp)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no findings" in done.stdout
    assert list(tmp.iterdir()) == []  # the notes file did not stay behind


def test_each_finding_names_its_deck_line_slide_and_rule_in_the_text_and_in_the_notes(tmp_path: Path):
    text = with_line(GOOD_DECK, "文として書くときは句点で終える。次の文も同じ。", "最初の文は句点で終える。次の文は句点がない")
    text = with_line(text, "PyTorch Lightning で MNIST を学習する", "PyTorch LightningでMNISTを学習する")
    # ら抜き言葉 (preset-ja-technical-writing), on the second line of a note.
    text = with_line(text, "発表者はここで `Trainer` の役割を説明する。",
                     "発表者はここで `Trainer` の役割を説明する。\n誰でもこのコードを見れる。")
    done, deck = run_lint(tmp_path, text)
    assert done.returncode == 1, done.stdout + done.stderr
    for needle, rule, count in [("次の文は句点がない", "ja-no-mixed-period-in-line", 1),
                                ("LightningでMNIST", "ja-space-between-half-and-full-width", 3),
                                ("見れる", "ja-technical-writing/no-dropping-the-ra", 1)]:
        found = f"{deck}:{line_of(deck, needle)} (slide 1「最初のスライド」): [{rule}]"
        assert done.stdout.count(found) == count, done.stdout
    assert " 5 finding(s)" in done.stdout and "4 in the slide text, 1 in the speaker notes" in done.stdout


def test_directives_and_tool_markers_are_not_notes(tmp_path: Path):
    deck_path = tmp_path / "deck.md"
    deck_path.write_text(GOOD_DECK, encoding="utf-8")
    deck = load(deck_path)
    text, line_map = lint_japanese.notes_text(deck)
    assert text == "発表者はここで `Trainer` の役割を説明する。\n"
    assert line_map == [line_of(deck_path, "発表者はここで")]
    for comment in ("_class: lead", "_header:", "pytest.mark.skip", "snippet: first", "pytest-codeblocks:cont"):
        assert comment not in text


def test_a_missing_textlint_says_what_to_run(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setattr(lint_japanese, "TEXTLINT", tmp_path / "node_modules" / ".bin" / "textlint")
    deck = tmp_path / "deck.md"
    deck.write_text(GOOD_DECK, encoding="utf-8")
    assert lint_japanese.main([str(deck)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "`make lint`" in err and "`npm ci`" in err
