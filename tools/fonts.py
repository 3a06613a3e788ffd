"""Write a Marp theme that embeds the deck's fonts, subset to the characters the deck uses.

The HTML must render the same on every machine with no network, and the PDF must embed only our
fonts: without a Japanese font every glyph would be a tofu box. So the fonts come from npm
(@fontsource, OFL), are cut down with fontTools to the characters of ``slides/*.md`` and go
into the CSS as ``data:`` URIs. The result is the theme ``lightning-fonts``, which
``slides/themes/lightning.css`` imports.

    python -m tools.fonts build/themes/lightning-fonts.css
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from fontTools import subset
from fontTools.merge import Merger
from fontTools.merge import Options as MergeOptions
from fontTools.ttLib import TTFont

from tools.generated import write_atomically
import deck
from deck.paths import DECKS, ROOT

FONTSOURCE = ROOT / "node_modules" / "@fontsource"
THEME = "lightning-fonts"
# (npm package, CSS file): the faces the theme uses.
FACES = [
    ("noto-sans-jp", "400.css"),
    ("noto-sans-jp", "700.css"),
    ("noto-sans-mono", "400.css"),
    ("noto-sans-mono", "700.css"),  # code inside headings is bold
]
FONT_FACE = re.compile(r"@font-face\s*{(.*?)}", re.S)


@dataclass
class Face:
    family: str
    weight: str
    style: str
    woff2: Path
    ranges: list[tuple[int, int]]

    def covers(self, char: str) -> bool:
        return any(lo <= ord(char) <= hi for lo, hi in self.ranges)


def parse_ranges(text: str) -> list[tuple[int, int]]:
    ranges = []
    for part in text.replace(";", "").split(","):
        lo, _, hi = part.strip().removeprefix("U+").removeprefix("u+").partition("-")
        ranges.append((int(lo, 16), int(hi or lo, 16)))
    return ranges


def read_faces(package: str, css_name: str) -> list[Face]:
    """The @font-face rules of a @fontsource CSS file (one per unicode-range chunk)."""
    css_file = FONTSOURCE / package / css_name
    if not css_file.is_file():
        raise FileNotFoundError(f"{css_file} is missing: run `npm ci` (or `make slides`, which does it)")
    faces = []
    for body in FONT_FACE.findall(css_file.read_text()):
        props = dict(re.findall(r"([\w-]+)\s*:\s*([^;]+);?", body))
        woff2 = re.search(r"url\(\./([^)]+\.woff2)\)", props["src"]).group(1)
        faces.append(Face(
            family=props["font-family"].strip().strip("'\""),
            weight=props["font-weight"].strip(),
            style=props["font-style"].strip(),
            woff2=css_file.parent / woff2,
            ranges=parse_ranges(props["unicode-range"]),
        ))
    return faces


def deck_characters() -> set[str]:
    """Every character that can appear on a slide (notes included: a superset is cheap), plus the
    spaces and digits the renderer adds (page numbers "n / total", non-breaking spaces)."""
    text = "".join(deck.load(path).text for path in DECKS) + " \u00a0/0123456789"
    return {c for c in text if c.isprintable() or c == "\u00a0"}


def subset_font(path: Path, chars: set[str]) -> io.BytesIO:
    """One @fontsource chunk cut down to `chars`, as an in-memory TrueType/OpenType file."""
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]  # keep the names, so a PDF viewer shows which font is embedded
    font = TTFont(path)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in chars])
    subsetter.subset(font)
    font.flavor = None
    out = io.BytesIO()
    font.save(out)
    out.seek(0)
    return out


def cut(faces: list[Face], chars: set[str], flavor: str | None = "woff2") -> tuple[bytes, set[str]]:
    """The chunks of one face cut down to `chars` (each from the first chunk that has it) and merged into
    a single font, one font header instead of dozens; and the characters it holds (none: no font)."""
    parts, used = [], set()
    for face in faces:
        if chunk := {c for c in chars if face.covers(c)} - used:
            parts.append(subset_font(face.woff2, chunk))
            used |= chunk
    if not parts:
        return b"", used
    font = Merger(options=MergeOptions(drop_tables=["vmtx", "vhea"])).merge(parts) if len(parts) > 1 else TTFont(parts[0])
    font.flavor = flavor
    out = io.BytesIO()
    font.save(out)
    return out.getvalue(), used


def inputs_line(chars: set[str]) -> str:
    """A comment naming everything the theme is made of: the characters, the font packages as
    installed, and this code. The same line means the same theme."""
    h = hashlib.sha256("".join(sorted(chars)).encode())
    for package, css_name in FACES:
        h.update((FONTSOURCE / package / "package.json").read_bytes() + css_name.encode())
    h.update(Path(__file__).read_bytes())
    return f"/* inputs: {h.hexdigest()} */"


def font_theme(chars: set[str]) -> str:
    """The theme CSS: one @font-face per face (family, weight), holding just the deck's characters."""
    rules = [f"/* @theme {THEME} */", "/* Generated by tools/fonts.py from the deck; do not edit. */", inputs_line(chars)]
    for package, css_name in FACES:
        faces = read_faces(package, css_name)
        font, used = cut(faces, chars)
        if not used:
            continue
        data = base64.b64encode(font).decode("ascii")
        codepoints = ",".join(f"U+{ord(c):x}" for c in sorted(used))
        rules.append(
            "@font-face {"
            f"font-family:'{faces[0].family}';font-style:{faces[0].style};font-weight:{faces[0].weight};"
            f"font-display:block;src:url(data:font/woff2;base64,{data}) format('woff2');"
            f"unicode-range:{codepoints}}}"
        )
    return "\n".join(rules) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", type=Path)
    args = parser.parse_args(argv)
    try:
        chars = deck_characters()
        # A prose edit with no new character needs no new subset (making one takes ~20 s here).
        if args.output.is_file() and inputs_line(chars) in args.output.read_text().split("\n", 3)[:3]:
            args.output.touch()  # up to date for make
            print(f"{args.output}: unchanged (no new characters)")
            return 0
        css = font_theme(chars)
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(args.output, css)  # marp never sees half a theme
    print(f"{args.output}: {len(css) // 1024} KiB of embedded fonts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
