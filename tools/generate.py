"""Every file this project generates, written by one command and checked by one command.

    python -m tools.generate write   # `make generate`: rewrite what is stale
    python -m tools.generate check   # `make check`: exit 1 with a unified diff per stale file

What is generated, in the order it is written (later ones read what earlier ones wrote):

1. regions of the deck between ``<!-- generated: NAME -->`` and ``<!-- /generated -->``
   (Marp hides both markers), rendered by ``REGIONS[NAME]`` from kept data, e.g. the 性能 slide
   from ``bench/results.json``;
2. ``snippets/``: the deck's code blocks as files (tools/snippets.py);
3. the notebook (tools/notebook.py).

The figures are made by running the deck (`make figures`, tools/figures.py); `check` also
fails on every figure whose code changed since it was made, and notes one made with other versions.

Each is a pure function of what is committed, so `check` needs nothing to run: a hand edit or a
stale file shows as a diff, followed by the one command that fixes it.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

import deck
from bench import slide
from deck.paths import DECKS, NOTEBOOK, SNIPPETS, shown
from tools import figures, notebook, snippets
from tools.generated import unified_diff, write_atomically

FIX = "make generate"
REGION_START = re.compile(r"^generated:\s*(\S+)")
REGION_END = "/generated"


# Region name -> its renderer.
REGIONS: dict[str, Callable[[], str]] = {"performance": slide.kept}


def with_regions(path: Path) -> str:
    """The deck's text with every generated region rendered afresh."""
    model = deck.load(path)
    lines = model.text.splitlines(keepends=True)
    markers = [c for s in model.slides for c in s.comments if c.kind == "marker"]
    replacements = []  # (first line after the start marker, line of the end marker), 1-based
    start = None
    for comment in markers:
        if m := REGION_START.match(comment.text):
            if start is not None:
                raise deck.DeckError(f"{model.where(comment.line)}: region opened before the one at line {start[0].line} closed")
            if m.group(1) not in REGIONS:
                raise deck.DeckError(f"{model.where(comment.line)}: unknown generated region '{m.group(1)}' "
                                     f"(known: {', '.join(REGIONS)})")
            start = (comment, m.group(1))
        elif comment.text == REGION_END:
            if start is None:
                raise deck.DeckError(f"{model.where(comment.line)}: <!-- /generated --> without a start marker")
            replacements.append((start[0].end_line + 1, comment.line, start[1]))
            start = None
    if start is not None:
        raise deck.DeckError(f"{model.where(start[0].line)}: generated region is never closed with <!-- /generated -->")
    for first, end, name in reversed(replacements):
        body = REGIONS[name]().strip("\n")
        lines[first - 1:end - 1] = [f"\n{body}\n\n"]
    return "".join(lines)


# Each group: (the source named in its diff, path -> expected content or None): the deck's generated
# regions, snippets/, the notebook. Computed one at a time (`_stale`).
GROUPS: list[tuple[str, Callable[[], dict[Path, str | None]]]] = [
    ("its generator", lambda: {p: with_regions(p) for p in DECKS}),
    ("the deck", lambda: {
        **{p: None for p in SNIPPETS.glob("*") if p.is_file()},
        **{SNIPPETS / name: text for name, text in snippets.files().items()},
    }),
    ("the deck", lambda: {NOTEBOOK: notebook.text(DECKS[0])}),
]


def _stale():
    """(source, path, what it holds, what it should hold) of each stale file, one group at a time: lazily, so
    that `write` lets later groups read earlier writes."""
    for source, files in GROUPS:
        for path, text in files().items():
            if (actual := path.read_text(encoding="utf-8") if path.is_file() else None) != text:
                yield source, path, actual, text


def check() -> list[str]:
    """A unified diff for each stale file, from the file as it is to what it should be."""
    return [unified_diff(actual or "", text or "", shown(path), source=source)
            or f"--- {shown(path)}\n(exists, but {source} does not make it)\n"
            for source, path, actual, text in _stale()]


def write() -> list[str]:
    """Bring every generated file up to date; return the ones changed."""
    changed = []
    for _, path, _, text in _stale():
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, text)
        changed.append(shown(path))
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["write", "check"])
    args = parser.parse_args(argv)
    try:
        if args.command == "write":
            changed = write()
            print(f"generated files: {len(changed)} updated" + "".join(f"\n  {name}" for name in changed))
            return 0
        diffs, (stale_figures, figure_notes) = check(), figures.review()
    except (deck.DeckError, FileNotFoundError, KeyError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if diffs:
        print("".join(diffs), end="", file=sys.stderr)
        print(f"{len(diffs)} generated file(s) differ from their source (the deck or kept data). Fix with: {FIX}",
              file=sys.stderr)
    for line in stale_figures:
        print(line, file=sys.stderr)
    for line in figure_notes:
        print(line)
    if diffs or stale_figures:
        return 1
    print("generated files and figures match their sources")
    return 0


if __name__ == "__main__":
    sys.exit(main())
