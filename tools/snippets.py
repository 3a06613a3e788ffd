"""Extract every code block of the deck into ``snippets/``, or check that ``snippets/`` matches it.

The deck (``slides/*.md``) is the source of truth. Tagging follows what pytest-codeblocks and
Marp already accept, so nothing new appears on a slide:

- A block whose first line is a comment naming a Python file (``# litmodule.py``) is a module:
  it goes to ``snippets/litmodule.py``, which later blocks import (``snippets/`` is on pytest's
  pythonpath). Readers see the same name at the top of the code they copy.
- ``<!-- pytest-codeblocks:cont -->`` before a block continues the previous block (pytest-codeblocks
  runs them as one); here the continuation is appended to the same file.
- Any other block is named after its slide: ``slide13.py``, ``slide05.sh`` (``slide13-2.py`` for a
  second one on the same slide).
- A block after ``<!-- pytest-codeblocks:expected-output -->`` is the output the previous block must
  print; it is kept as ``<name>.out``.

    python -m tools.snippets write   # rewrite snippets/ from the deck
    python -m tools.snippets check   # exit 1 with a unified diff when snippets/ differs
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tools.generated import unified_diff, write_atomically

ROOT = Path(__file__).resolve().parent.parent
DECKS = sorted((ROOT / "slides").glob("*.md"))
SNIPPETS = ROOT / "snippets"
RUNNABLE = {"python": "py", "sh": "sh", "bash": "sh"}  # what pytest-codeblocks 0.18 executes
FIX = "make snippets"

MARKER = re.compile(r"<!--[-\s]*pytest-codeblocks:(.*?)[-\s]*-->$")
MARK = re.compile(r"<!--[-\s]*(pytest\.mark\..*?)[-\s]*-->$")
MODULE_HEADER = re.compile(r"#\s*([A-Za-z_][A-Za-z0-9_]*\.py)\s*$")
FENCE = re.compile(r"^(\s*)(`{3,})(.*)$")


def shown(path: Path) -> str:
    """A path as messages show it: relative to the project when inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


class DeckError(Exception):
    """A problem in the deck, phrased with its file, line and slide."""


@dataclass
class Slide:
    """One slide: its number, its first heading ("" if none) and its Markdown outside code blocks."""

    number: int
    title: str = ""
    prose: list[str] = field(default_factory=list)


@dataclass
class Piece:
    """One fenced block as it stands in the deck."""

    deck: Path
    fence_line: int  # 1-based line of the opening ``` (what pytest-codeblocks reports)
    slide: int
    title: str
    info: str
    code: str
    marker: str | None = None  # the pytest-codeblocks keyword right before the fence
    marks: list[str] = field(default_factory=list)

    def where(self, line: int | None = None) -> str:
        """``slides/x.md:12 (slide 3「Title」)``, for messages."""
        return f"{shown(self.deck)}:{line or self.fence_line} (slide {self.slide}「{self.title}」)"


@dataclass
class Block:
    """A code block as pytest-codeblocks runs it: a first piece plus its continuations."""

    pieces: list[Piece]
    name: str = ""
    expected_output: str | None = None

    @property
    def first(self) -> Piece:
        return self.pieces[0]

    @property
    def code(self) -> str:
        return "".join(p.code for p in self.pieces)

    @property
    def file_text(self) -> str:
        """The snippet file: the pieces with one blank line between them, as a reader would save it."""
        return "\n".join(p.code for p in self.pieces)

    def deck_line(self, code_line: int, *, in_file: bool = False) -> tuple[Piece, int]:
        """Map a 1-based line of the code as run (or, with `in_file`, of the snippet file, which
        has one blank line between pieces) to (piece, line in the deck file)."""
        for piece in self.pieces:
            n = piece.code.count("\n") + (1 if in_file else 0)
            if code_line <= n:
                return piece, piece.fence_line + min(code_line, n - in_file)
            code_line -= n
        return self.pieces[-1], self.pieces[-1].fence_line


def locate(filename: str, line: int, decks: list[Path] = DECKS) -> tuple[Piece, int] | None:
    """The deck line behind a line of a snippets/ module (as a traceback names it), if any."""
    path = Path(filename)
    if path.parent != SNIPPETS:
        return None
    for deck in decks:
        for block in read_blocks(deck):
            if block.name == path.name:
                return block.deck_line(line, in_file=True)
    return None


def read_deck(deck: Path) -> tuple[list[Slide], list[Piece]]:
    """The slides of a Marp deck, and every fenced block with its slide number, title and markers."""
    lines = deck.read_text(encoding="utf-8").splitlines(keepends=True)
    start = 0
    if lines and lines[0].strip() == "---":  # front matter is not a slide
        start = next(i for i in range(1, len(lines)) if lines[i].strip() == "---") + 1
    pieces: list[Piece] = []
    slides = [Slide(1)]
    marker, marks = None, []
    i = start
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        fence = FENCE.match(line)
        if stripped == "---":
            slides.append(Slide(len(slides) + 1))
            i += 1
            continue
        if not slides[-1].title and re.match(r"#{1,6}\s", stripped):
            slides[-1].title = stripped.lstrip("#").strip()
        if m := MARKER.match(stripped):
            marker = m.group(1).strip()
        elif m := MARK.match(stripped):
            marks.append(m.group(1))
        elif fence:
            indent, ticks, info = fence.groups()
            body, j = [], i + 1
            while j < len(lines) and not lines[j].lstrip().startswith(ticks):
                body.append(lines[j][min(len(indent), len(lines[j]) - len(lines[j].lstrip())):])
                j += 1
            if j == len(lines):
                raise DeckError(f"{shown(deck)}:{i + 1}: code block is never closed")
            slide = slides[-1]
            pieces.append(Piece(deck, i + 1, slide.number, slide.title, info.strip(), "".join(body), marker, marks))
            marker, marks = None, []
            i = j
        else:
            slides[-1].prose.append(line)
        i += 1
    return slides, pieces


def read_pieces(deck: Path) -> list[Piece]:
    return read_deck(deck)[1]


def read_blocks(deck: Path) -> list[Block]:
    """Group pieces as pytest-codeblocks does (cont, expected-output) and name their snippet."""
    blocks: list[Block] = []
    per_slide: dict[int, int] = {}
    for piece in read_pieces(deck):
        if piece.marker == "cont":
            if not blocks:
                raise DeckError(f"{piece.where()}: `cont` marker but no block before it")
            blocks[-1].pieces.append(piece)
            continue
        if piece.marker in ("expected-output", "expected-output-ignore-whitespace"):
            if not blocks:
                raise DeckError(f"{piece.where()}: expected-output marker but no block before it")
            blocks[-1].expected_output = piece.code
            continue
        if piece.info not in RUNNABLE:
            raise DeckError(
                f"{piece.where()}: code block ```{piece.info} would not be run by pytest-codeblocks. "
                "Use exactly ```python, ```sh or ```bash; a block that must not run gets "
                '<!-- pytest.mark.skip(reason="...") --> and says why on the slide.'
            )
        block = Block([piece])
        header = MODULE_HEADER.match(piece.code.split("\n", 1)[0])
        if header and piece.info == "python":
            block.name = header.group(1)
        else:
            per_slide[piece.slide] = per_slide.get(piece.slide, 0) + 1
            nth = per_slide[piece.slide]
            block.name = f"slide{piece.slide:02d}{'' if nth == 1 else f'-{nth}'}.{RUNNABLE[piece.info]}"
        blocks.append(block)
    return blocks


def expected_files(decks: list[Path] = DECKS) -> dict[str, str]:
    """Snippet file name -> content, for all decks."""
    files: dict[str, str] = {}
    owner: dict[str, str] = {}
    for deck in decks:
        for block in read_blocks(deck):
            outputs = {block.name: block.file_text}
            if block.expected_output is not None:
                outputs[f"{block.name}.out"] = block.expected_output
            for name, text in outputs.items():
                if name in files:
                    raise DeckError(f"{block.first.where()}: snippet name {name} is already used by {owner[name]}")
                files[name], owner[name] = text, block.first.where()
    return files


def actual_files(folder: Path = SNIPPETS) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir()) if p.is_file()}


def diff(expected: dict[str, str], actual: dict[str, str], folder: Path = SNIPPETS) -> str:
    """Unified diff from snippets/ (as it is) to what the deck says it should be."""
    return "".join(
        unified_diff(actual.get(name, ""), expected.get(name, ""), f"{shown(folder)}/{name}")
        for name in sorted(expected.keys() | actual.keys())
        if actual.get(name) != expected.get(name)
    )


def write(folder: Path = SNIPPETS) -> list[str]:
    """Make `folder` hold exactly the deck's snippets; return the names changed."""
    expected, actual = expected_files(), actual_files(folder)
    folder.mkdir(exist_ok=True)
    changed = []
    for name in sorted(actual.keys() - expected.keys()):
        (folder / name).unlink()
        changed.append(name)
    for name, text in expected.items():
        if actual.get(name) != text:
            write_atomically(folder / name, text)
            changed.append(name)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["write", "check"])
    parser.add_argument("--dir", type=Path, default=SNIPPETS, help="snippets folder (default: snippets/)")
    args = parser.parse_args(argv)
    try:
        if args.command == "write":
            changed = write(args.dir)
            print(f"{shown(args.dir)}/: {len(changed)} file(s) updated" + (f": {', '.join(changed)}" if changed else ""))
            return 0
        text = diff(expected_files(), actual_files(args.dir), args.dir)
    except DeckError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if text:
        print(f"{shown(args.dir)}/ differs from the deck (the deck is the source of truth):\n{text}", file=sys.stderr)
        print(f"Regenerate with: {FIX}", file=sys.stderr)
        return 1
    print(f"{shown(args.dir)}/ matches the deck")
    return 0


if __name__ == "__main__":
    sys.exit(main())
