"""Lint the deck's Japanese with textlint: the slide text, and the speaker notes (which textlint's Markdown
plugin skips) as a Markdown file of their own, each finding mapped back to its deck line (README, Japanese lint).
As Markdown, an identifier in backticks in a note is code to the rules, as on the slides.

    python -m tools.lint_japanese [slides/x.md ...]    # default: every deck in slides/
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from deck import Deck, DeckError, load
from deck.paths import DECKS, ROOT, shown

TEXTLINT = ROOT / "node_modules" / ".bin" / "textlint"
CONFIG = ROOT / ".textlintrc.json"
RULES_DIR = ROOT / "tools" / "textlint"
FILE_LINE = re.compile(r"^Line \d+ ")  # sentence-length names the line of the file it read: we name the deck's


@dataclass
class Finding:
    deck: Deck
    line: int  # 1-based deck line
    rule: str
    message: str
    in_note: bool

    def __str__(self) -> str:
        message = FILE_LINE.sub("", " ".join(self.message.split()))
        return f"{self.deck.where(self.line)}: [{self.rule}] {message}"


def notes_text(deck: Deck) -> tuple[str, list[int]]:
    """The deck's speaker notes as Markdown, one paragraph per note, and the deck line of each of
    its lines (0 for the blank lines between notes)."""
    deck_lines = deck.text.splitlines()
    out: list[str] = []
    line_map: list[int] = []
    for slide in deck.slides:
        for note in slide.notes:
            lines = note.text.splitlines()
            if not lines:
                continue
            # The text starts on the comment's first line (`<!-- text`) or on a later one (`<!--\ntext`).
            last = max(note.end_line, note.line)
            first = next((n for n in range(note.line, last + 1) if lines[0] in deck_lines[n - 1]), note.line)
            if out:
                out.append("")
                line_map.append(0)
            out += [line.lstrip() for line in lines]  # an indented line would be a code block
            line_map += [first + i for i in range(len(lines))]
    return "\n".join(out) + "\n", line_map


def textlint(files: list[Path]) -> list[dict]:
    """textlint's JSON report on `files`; raises RuntimeError with a one-line remedy."""
    if not TEXTLINT.exists():
        raise RuntimeError(f"{shown(TEXTLINT)} is missing: run `make lint` (it installs Node and textlint) or `npm ci`.")
    env = dict(os.environ, PATH=os.pathsep.join([str(ROOT / ".venv" / "bin"), os.environ.get("PATH", "")]))
    if shutil.which("node", path=env["PATH"]) is None:
        raise RuntimeError("Node.js is not on PATH: run `make lint` (it puts Node into .venv with nodeenv) "
                           "or install Node.js >= 18.")
    cmd = [str(TEXTLINT), "--config", str(CONFIG), "--rulesdir", str(RULES_DIR), "--format", "json",
           *map(str, files)]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode not in (0, 1):  # 1: findings; anything else: textlint itself failed
        raise RuntimeError(f"textlint failed (exit {done.returncode}): {(done.stderr or done.stdout).strip()}")
    return json.loads(done.stdout)


def lint(paths: list[Path]) -> list[Finding]:
    """Every finding in the slide text and the speaker notes of the decks at `paths`."""
    decks = [load(p) for p in paths]
    with tempfile.TemporaryDirectory(prefix="lint_japanese-") as tmp:
        targets: dict[str, tuple[Deck, list[int] | None]] = {}  # textlint's file path -> deck, notes line map
        for i, deck in enumerate(decks):
            targets[str(deck.path)] = (deck, None)
            text, line_map = notes_text(deck)
            if any(line_map):
                notes = Path(tmp) / f"{i}-{deck.path.stem}-notes.md"
                notes.write_text(text, encoding="utf-8")
                targets[str(notes.resolve())] = (deck, line_map)
        report = textlint([Path(p) for p in targets])
    findings = []
    for result in report:
        deck, line_map = targets[str(Path(result["filePath"]).resolve())]
        for m in result["messages"]:
            line = line_map[m["line"] - 1] if line_map else m["line"]
            findings.append(Finding(deck, line, m["ruleId"], m["message"], line_map is not None))
    return sorted(findings, key=lambda f: (str(f.deck.path), f.line, f.rule))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    paths = [Path(a) for a in args] or DECKS
    try:
        findings = lint(paths)
    except (DeckError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for f in findings:
        print(f)
    in_notes = sum(f.in_note for f in findings)
    names = ", ".join(shown(p) for p in paths)
    if not findings:
        print(f"textlint: no findings in {names} (slide text and speaker notes)")
        return 0
    print(f"textlint: {len(findings)} finding(s) in {names}: {len(findings) - in_notes} in the slide text, "
          f"{in_notes} in the speaker notes (house style: .textlintrc.json)")
    return 1


if __name__ == "__main__":
    sys.exit(main())
