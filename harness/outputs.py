"""`make outputs`: rewrite every expected output in the deck that differs from the real one.

The snapshot workflow (inline-snapshot's ``--inline-snapshot=fix``, ``cargo insta accept``): after
a Lightning upgrade changes an output, run the deck with ``pytest --update-outputs``, review the
printed diff, commit. A plain `make test` only ever checks.
"""

from __future__ import annotations

import deck
from deck.paths import shown
from tools.generated import unified_diff, write_atomically


def actual_output(block: deck.Block, error: BaseException) -> str | None:
    """What the block printed, when `error` is pytest-codeblocks' "Expected output ... but got"."""
    if block.expected is None:
        return None
    head = f"Expected output\n```\n{block.expected_output}```\nbut got\n```\n"
    message = str(error.args[0]) if error.args else ""
    at = message.find(head)
    if at == -1 or not message.endswith("```"):
        return None
    return message[at + len(head):-3]


def apply(found: list[tuple[deck.Block, str]]) -> list[str]:
    """Write what each block really printed into its deck; lines to print (the diff, or why not)."""
    lines: list[str] = []
    by_deck: dict = {}
    for block, actual in found:
        if not actual.endswith("\n") or "```" in actual:
            lines.append(f"{block.where()}: output not written: it must end with a newline and hold no ``` fence")
            continue
        by_deck.setdefault(block.deck.path, []).append((block, actual))
    for path, outputs in by_deck.items():
        model = outputs[0][0].deck
        text = model.text.splitlines(keepends=True)
        for block, actual in sorted(outputs, key=lambda f: f[0].line, reverse=True):
            text[block.expected.line:block.expected.end_line - 1] = [actual]
        new = "".join(text)
        write_atomically(path, new)
        lines.append(unified_diff(model.text, new, shown(path), source="the real outputs").rstrip("\n"))
        lines.append(f"{shown(path)}: {len(outputs)} expected output(s) rewritten; review the diff, then `make generate`")
    return lines
