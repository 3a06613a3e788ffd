"""The deck as Marp reads it: slides, their prose, speaker notes, directives and code blocks.

This is the only module that parses Markdown. It uses markdown-it-py (the Python port of the
CommonMark parser Marp is built on) with Marpit's own rules where Marp departs from CommonMark:

- a slide ends at a thematic break (``---``) at the top level; a line of text followed by
  ``---`` is a setext heading, not a break;
- an HTML comment is a Marpit comment, whatever the ``html`` setting: a *directive* when one
  of its YAML keys is a directive, a *tool marker* when it matches ``markers.json`` (our Marp
  engine hides those too), otherwise a *speaker note*. Nothing inside a comment is a heading,
  a break or a code block.

What runs is pytest-codeblocks' decision, not ours: `Deck.blocks` groups the fences exactly as
pytest-codeblocks 0.18 does (``cont``, ``expected-output``, marks) and is checked against its own
extraction, so any case where the two readings disagree is an error naming slide and line.
"""

from __future__ import annotations

import functools
import io
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.front_matter import front_matter_plugin
from pytest_codeblocks.main import extract_from_buffer

from deck.paths import shown

RUNNABLE = {"python": "py", "sh": "sh", "bash": "sh"}  # what pytest-codeblocks 0.18 executes
TOOL_COMMENT = re.compile(json.loads((Path(__file__).parent / "markers.json").read_text())["tool_comment"])
CODEBLOCKS_MARKER = re.compile(r"^[-\s]*pytest-codeblocks:(.*?)[-\s]*$", re.S)
PYTEST_MARK = re.compile(r"^[-\s]*(pytest\.mark\..*?)[-\s]*$", re.S)
SNIPPET_MARKER = re.compile(r"^[-\s]*snippet:\s*(\S+)\s*$")
SNIPPET_NAME = re.compile(r"[a-z][a-z0-9_]*")
MODULE_HEADER = re.compile(r"#\s*([A-Za-z_][A-Za-z0-9_]*\.py)\s*$")
# Marpit's directives (marpit/lib/markdown/directives/directives.js) and marp-core's own.
DIRECTIVES = {
    "headingDivider", "style", "theme", "lang", "marp", "size", "math", "title", "description",
    "author", "keywords", "url", "image", "backgroundColor", "backgroundImage", "backgroundPosition",
    "backgroundRepeat", "backgroundSize", "class", "color", "footer", "header", "paginate", "transition",
}
MAGIC_COMMENT = re.compile(r"^(prettier-ignore(-(start|end))?|markdownlint-.*|lint (disable|enable|ignore).*)$")
COMMENT = re.compile(r"<!--+\s*([\s\S]*?)\s*--+>")
# The talk and its appendix: the main part runs from the title slide up to and including the
# slide headed 「まとめ」; the slides after it are the appendix, each titled 「付録…」.
SUMMARY_TITLE = "まとめ"
APPENDIX_PREFIX = "付録"


class DeckError(Exception):
    """A problem in the deck, phrased with its file, line and slide."""


# ---- Marpit's comment rules, ported from marpit/lib/markdown/comment.js ----------------------

def _block_comment(state, start_line: int, end_line: int, silent: bool) -> bool:
    pos = state.bMarks[start_line] + state.tShift[start_line]
    line = state.src[pos:state.eMarks[start_line]]
    if not line.startswith("<!--"):
        return False
    if silent:
        return True
    next_line = start_line + 1
    if "-->" not in line:
        while next_line < end_line:
            if state.sCount[next_line] < state.blkIndent:
                break
            pos = state.bMarks[next_line] + state.tShift[next_line]
            line = state.src[pos:state.eMarks[next_line]]
            next_line += 1
            if "-->" in line:
                break
    state.line = next_line
    token = state.push("marpit_comment", "", 0)
    token.map = [start_line, next_line]
    token.markup = state.getLines(start_line, next_line, state.blkIndent, True)
    token.hidden = True
    match = COMMENT.search(token.markup)
    token.content = match.group(1).strip() if match else ""
    return True


def _inline_comment(state, silent: bool) -> bool:
    if state.pos + 2 >= state.posMax or state.src[state.pos:state.pos + 2] != "<!":
        return False
    match = COMMENT.match(state.src, state.pos)
    if not match:
        return False
    if not silent:
        token = state.push("marpit_comment", "", 0)
        token.hidden = True
        token.markup = match.group(0)
        token.content = match.group(1).strip()
    state.pos = match.end()
    return True


@functools.cache
def _parser() -> MarkdownIt:
    # Marp's markdown-it: CommonMark plus tables and strikethrough, html off (marp.config.mjs).
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    md.use(front_matter_plugin)
    md.block.ruler.before("html_block", "marpit_comment", _block_comment)  # cannot interrupt a paragraph, as in Marpit
    md.inline.ruler.before("html_inline", "marpit_inline_comment", _inline_comment)
    return md


# ---- the model -------------------------------------------------------------------------------

@dataclass
class Comment:
    line: int  # 1-based deck line where the comment starts
    text: str
    kind: str  # "note", "directive", "marker" or "magic"
    end_line: int = 0  # 1-based last line (block comments); 0 for an inline comment


@dataclass
class Fence:
    line: int  # 1-based line of the opening fence (what pytest-codeblocks reports)
    end_line: int  # 1-based line of the closing fence
    info: str
    code: str
    markup: str  # ``` or ~~~ (or longer)


@dataclass
class Image:
    line: int
    src: str
    alt: str  # Marp's size keywords (w:600) stay in here, as in the source


@dataclass
class Slide:
    number: int
    line: int  # 1-based first line of the slide's source
    title: str = ""  # its first heading, "" if none
    directives: dict[str, str] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)
    fences: list[Fence] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    prose: str = ""  # the slide's Markdown without code fences and comments
    source: str = ""  # the slide's Markdown as written: prose, code, outputs, notes
    appendix: bool = False  # after 「まとめ」: not part of the talk (see `Deck.main`)

    @property
    def notes(self) -> list[Comment]:
        """What Marp shows as speaker notes."""
        return [c for c in self.comments if c.kind == "note"]


@dataclass
class Piece:
    """One fence of a block, on its slide."""

    fence: Fence
    slide: Slide

    @property
    def code(self) -> str:
        return self.fence.code


@dataclass
class Block:
    """A code block as pytest-codeblocks runs it: a first fence plus its ``cont`` fences."""

    deck: Deck
    pieces: list[Piece]
    marks: list[str]
    name: str = ""  # its snippet file: ``litmodule.py`` (module header) or ``<snippet id>.py``
    expected: Fence | None = None
    is_module: bool = False  # a ``# name.py`` python block, which later blocks import

    @property
    def first(self) -> Piece:
        return self.pieces[0]

    @property
    def info(self) -> str:
        return self.first.fence.info

    @property
    def line(self) -> int:
        return self.first.fence.line

    @property
    def code(self) -> str:
        return "".join(p.code for p in self.pieces)

    @property
    def expected_output(self) -> str | None:
        return self.expected.code if self.expected else None

    @property
    def file_text(self) -> str:
        """The snippet file: the pieces with one blank line between them, as a reader would save it."""
        return "\n".join(p.code for p in self.pieces)

    def where(self) -> str:
        return self.deck.where(self.line)

    def deck_line(self, code_line: int, *, in_file: bool = False) -> int:
        """The deck line of a 1-based line of the code as run (or, with `in_file`, of the snippet
        file, which has one blank line between pieces)."""
        for piece in self.pieces:
            n = piece.code.count("\n") + (1 if in_file else 0)
            if code_line <= n:
                return piece.fence.line + min(code_line, n - in_file)
            code_line -= n
        return self.pieces[-1].fence.line


@dataclass
class Deck:
    path: Path
    text: str
    front_matter: dict[str, str]
    slides: list[Slide]

    @functools.cached_property
    def blocks(self) -> list[Block]:
        """The code blocks as pytest-codeblocks runs them (read on first use: a deck with a bad
        block still has slides, front matter and notes)."""
        return _blocks(self)

    @property
    def main(self) -> list[Slide]:
        """The talk: the title slide up to and including 「まとめ」 (the whole deck if it has none)."""
        return [s for s in self.slides if not s.appendix]

    @property
    def appendix(self) -> list[Slide]:
        """The slides after 「まとめ」, for readers and questions, not for the talk."""
        return [s for s in self.slides if s.appendix]

    def where(self, line: int) -> str:
        """``slides/x.md:12 (slide 3「Title」)``, for messages."""
        slide = next((s for s in reversed(self.slides) if s.line <= line), self.slides[0])
        return f"{shown(self.path)}:{line} (slide {slide.number}「{slide.title}」)"

    def line_text(self, line: int) -> str:
        return self.text.splitlines()[line - 1]


def _classify(text: str) -> tuple[str, dict[str, str]]:
    """The comment's kind, and its directives when it is a directive comment."""
    if TOOL_COMMENT.match(text):
        return "marker", {}
    if MAGIC_COMMENT.match(text):
        return "magic", {}
    try:
        parsed = yaml.load(text, Loader=yaml.BaseLoader)  # strings only, as Marpit's FAILSAFE_SCHEMA
    except yaml.YAMLError:
        parsed = None
    if not isinstance(parsed, dict):
        return "note", {}
    found = {k: v for k, v in parsed.items() if k.removeprefix("_") in DIRECTIVES}
    return ("directive" if found else "note"), found


@functools.lru_cache(maxsize=16)
def _parse(path: Path, text: str) -> Deck:
    tokens = _parser().parse(text)
    lines = text.splitlines(keepends=True)
    front: dict[str, str] = {}
    slides = [Slide(1, 1)]
    skip_lines: set[int] = set()  # 0-based lines that are not prose: fences, comments, breaks
    inline_comments: dict[int, list[str]] = {}  # 0-based line -> comment markup to cut from prose

    def add_comment(slide: Slide, line0: int, text: str, end_line: int) -> None:
        kind, directives = _classify(text)
        slide.comments.append(Comment(line0 + 1, text, kind, end_line))
        slide.directives.update(directives)

    for i, token in enumerate(tokens):
        slide = slides[-1]
        if token.type == "front_matter":
            front = {str(k): v for k, v in (yaml.load(token.content, Loader=yaml.BaseLoader) or {}).items()}
            skip_lines.update(range(*token.map))
            slide.line = token.map[1] + 1
        elif token.type == "hr" and token.level == 0:  # Marpit's slide break
            slides.append(Slide(len(slides) + 1, token.map[1] + 1))
            skip_lines.update(range(*token.map))
        elif token.type == "marpit_comment":
            add_comment(slide, token.map[0], token.content, token.map[1])
            skip_lines.update(range(*token.map))
        elif token.type == "fence":
            slide.fences.append(Fence(token.map[0] + 1, token.map[1], token.info.strip(), token.content, token.markup))
            skip_lines.update(range(*token.map))
        elif token.type == "inline" and token.map:
            if not slide.title and tokens[i - 1].type == "heading_open":
                slide.title = token.content.strip()
            for child in token.children or []:
                if child.type == "image":
                    alt = "".join(c.content for c in child.children or [])
                    slide.images.append(Image(token.map[0] + 1, child.attrGet("src"), alt))
                if child.type == "marpit_comment":
                    add_comment(slide, token.map[0], child.content, 0)
                    inline_comments.setdefault(token.map[0], []).append(child.markup)

    # Prose: each slide's source lines, minus what is not prose.
    bounds = [s.line - 1 for s in slides[1:]] + [len(lines)]
    for slide, end in zip(slides, bounds):
        slide.source = "".join(lines[slide.line - 1:end])
        kept = []
        for i in range(slide.line - 1, end):
            if i in skip_lines:
                continue
            line = lines[i]
            for markup in inline_comments.get(i, []):
                line = line.replace(markup, "", 1)
            kept.append(line)
        slide.prose = re.sub(r"\n{3,}", "\n\n", "".join(kept)).strip() + "\n"

    # The one line between the talk and the appendix: through the first slide titled exactly 「まとめ」;
    # without one, up to the first slide whose title starts with 「付録」; without either, all of them.
    main = next((s.number for s in slides if s.title == SUMMARY_TITLE), None)
    if main is None:
        main = next((s.number - 1 for s in slides if s.title.startswith(APPENDIX_PREFIX)), len(slides))
    for slide in slides[main:]:
        slide.appendix = True
    return Deck(path, text, front, slides)


def _blocks(deck: Deck) -> list[Block]:
    """The fences grouped as pytest-codeblocks groups them, checked against its own reading."""
    events: list[tuple[int, int, object]] = []  # (line, order, comment or (fence, slide))
    for slide in deck.slides:
        events += [(c.line, 0, c) for c in slide.comments if c.kind == "marker"]
        events += [(f.line, 1, (f, slide)) for f in slide.fences]
    blocks: list[Block] = []
    marker, marks, name = None, [], None
    for line, _, item in sorted(events, key=lambda e: (e[0], e[1])):
        if isinstance(item, Comment):
            if m := CODEBLOCKS_MARKER.match(item.text):
                marker = m.group(1).strip("- ")
            elif m := PYTEST_MARK.match(item.text):
                marks.append(m.group(1))
            elif m := SNIPPET_MARKER.match(item.text):
                name = m.group(1)
            continue
        fence, slide = item
        where = deck.where(fence.line)
        if not fence.markup.startswith("`") and fence.info in RUNNABLE:
            raise DeckError(f"{where}: a {fence.markup}{fence.info} fence is shown as code but pytest-codeblocks "
                            f"reads only backtick fences, so it would never run: write ```{fence.info}")
        if marker == "cont":
            if not blocks:
                raise DeckError(f"{where}: `cont` marker but no block before it")
            blocks[-1].pieces.append(Piece(fence, slide))
        elif marker in ("expected-output", "expected-output-ignore-whitespace"):
            if not blocks:
                raise DeckError(f"{where}: expected-output marker but no block before it")
            blocks[-1].expected = fence
        else:
            if fence.info not in RUNNABLE:
                raise DeckError(
                    f"{where}: code block ```{fence.info} would not be run by pytest-codeblocks. "
                    "Use exactly ```python, ```sh or ```bash (every block runs); code that is only shown, not run, "
                    "goes in a ```text fence after an expected-output marker, or as inline code."
                )
            block = Block(deck, [Piece(fence, slide)], marks)
            header = MODULE_HEADER.match(fence.code.split("\n", 1)[0])
            if header and fence.info == "python":
                block.name, block.is_module = header.group(1), True
                if name:
                    raise DeckError(f"{where}: a module block is named by its first line ({block.name}); "
                                    f"drop the <!-- snippet: {name} --> marker")
            elif name is None:
                raise DeckError(f"{where}: give this block a stable name: put <!-- snippet: NAME --> "
                                "(lower case, digits, _) on the line before it; its files are snippets/NAME.*")
            elif not SNIPPET_NAME.fullmatch(name):
                raise DeckError(f"{where}: snippet name '{name}' must be lower case letters, digits and _")
            elif name in sys.stdlib_module_names:  # snippets/ is on the import path of every block
                raise DeckError(f"{where}: snippet name '{name}' would shadow the standard module {name}")
            else:
                block.name = f"{name}.{RUNNABLE[fence.info]}"
            blocks.append(block)
            marks, name = [], None
        marker = None
    _agree_with_pytest_codeblocks(deck, blocks)
    return blocks


def _agree_with_pytest_codeblocks(deck: Deck, blocks: list[Block]) -> None:
    theirs = {b.lineno: b for b in extract_from_buffer(io.StringIO(deck.text)) if b.syntax in RUNNABLE}
    ours = {b.line: b for b in blocks}
    for line in sorted(theirs.keys() | ours.keys()):
        if line not in ours:
            raise DeckError(f"{deck.where(line)}: pytest-codeblocks runs a ``` block here that Marp does not show "
                            "as code (is it inside an HTML comment?)")
        if line not in theirs:
            raise DeckError(f"{deck.where(line)}: Marp shows a code block here that pytest-codeblocks does not run")
        mine, other = ours[line], theirs[line]
        if (mine.info, mine.code, mine.expected_output, mine.marks) != (other.syntax, other.code, other.expected_output,
                                                                         [m.strip() for m in other.marks]):
            raise DeckError(f"{deck.where(line)}: this block reads differently to Marp and to pytest-codeblocks "
                            "(a fence or marker inside a comment or a list?)")


def load(path: Path) -> Deck:
    """The deck at `path`, parsed (cached while the file is unchanged)."""
    path = Path(path).resolve()
    return _parse(path, path.read_text(encoding="utf-8"))
