"""The deck's Japanese, slide text and speaker notes, passes textlint (the house style: .textlintrc.json;
`make lint` prints the same findings; the lint itself is tested in tests/tooling/test_lint_japanese.py)."""

from deck.paths import DECKS, ROOT
from tools import lint_japanese


def test_the_slide_text_and_the_notes_pass_textlint(proven):
    # A few seconds of Node: again when the deck, the house style or textlint's version (package-lock.json)
    # changed; the rules in tools/textlint/ and the lint itself are in every key (the harness).
    if proven(*(path.read_text(encoding="utf-8") for path in (*DECKS, lint_japanese.CONFIG, ROOT / "package-lock.json"))):
        return
    findings = lint_japanese.lint(DECKS)
    assert not findings, "textlint (house style: .textlintrc.json):\n" + "\n".join(map(str, findings))
