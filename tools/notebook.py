"""The deck as a Jupyter notebook that teaches alone: PyTorchLightningExampleOnMNIST.ipynb (the README, The
notebook, says what each slide becomes and where it goes). Beyond that: Colab shows no SVG in a text cell at all,
whatever the form (googlecolab/colabtools issues 2092 and 3836), so an SVG figure shows there only where the
slide's PNG would; a module is written piece by piece so that the text of each part stays beside its code; cell
ids come from block names and slide titles, never positions: inserting a slide renumbers nothing.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import re
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import deck
from deck.paths import ROOT

EXPLANATION = "**解説**"
EXPECTED = "**期待される出力**"
# The scripts the cluster slides source (harness/blocks.py puts this folder on PATH for the deck's run).
REHEARSAL = ROOT / "tools" / "rehearsal"
PLACE = re.compile(r"^[-\s]*notebook:\s*(.*?)[-\s]*$", re.S)
PLACES = ("first", "last")
IMAGE = re.compile(r"(!\[[^\]]*\]\()([^)\s]+)(\))")
USES = re.compile(r"^\s*(?:from|import)\s+(\w+)|\b(\w+)\.py\b", re.M)  # imports, and `python train.py`


def cell_source(code: str) -> str:
    """A piece of code as a cell's source: IPython ends a cell with one newline (so `%%writefile`
    writes the piece byte for byte); a cell has none of its own."""
    return code.removesuffix("\n")


def plain(text: str) -> str:
    """A speaker note (plain text, as Marp shows it) as Markdown that renders as written: `__main__`
    stays itself, not bold."""
    return re.sub(r"([\\`*_<>\[\]])", r"\\\1", text)


def cell_id(kind: str, name: str, seen: dict[str, int]) -> str:
    """A stable nbformat id (at most 64 of [A-Za-z0-9-_]) from a block name or slide title."""
    base = f"{kind}-" + (re.sub(r"[^A-Za-z0-9_-]", "-", name) if kind in ("code", "out")
                         else hashlib.sha1(name.encode()).hexdigest()[:10])
    seen[base] = seen.get(base, 0) + 1
    return base if seen[base] == 1 else f"{base}-{seen[base]}"


def place(slide: deck.Slide) -> str:
    """'first', 'last' or '' for a slide, from its <!-- notebook: ... --> marker."""
    found = ""
    for comment in slide.comments:
        if comment.kind == "marker" and (m := PLACE.match(comment.text)):
            if m.group(1) not in PLACES:
                raise deck.DeckError(f"line {comment.line} (slide {slide.number}「{slide.title}」): unknown "
                                     f"<!-- notebook: {m.group(1)} --> (known: {', '.join(PLACES)})")
            found = m.group(1)
    return found


def with_figures(text: str, folder: Path, slide: deck.Slide) -> str:
    """The slide's text with each image linked from the deck embedded as a data: URI."""
    def embed(m: re.Match) -> str:
        src = m.group(2)
        if re.match(r"[a-z][a-z0-9+.-]*:", src, re.I):
            return m.group(0)
        path = folder / src
        if not path.is_file():
            raise deck.DeckError(f"slide {slide.number}「{slide.title}」: image {src} not found (make figures)")
        mime = mimetypes.guess_type(path.name)[0]
        return f"{m.group(1)}data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}{m.group(3)}"
    return IMAGE.sub(embed, text)


def rehearsal_script(code: str) -> str | None:
    """The repository's rehearsal script a shell block needs (two_nodes.sh), if any."""
    return next((p.name for p in sorted(REHEARSAL.glob("*.sh")) if re.search(rf"\b{re.escape(p.name)}\b", code)), None)


def build(path: Path) -> nbformat.NotebookNode:
    model = deck.load(path)
    modules = {b.name.removesuffix(".py"): b for b in model.blocks if b.is_module}  # import name -> its block
    on_slide: dict[int, list[tuple[deck.Block, int]]] = {}  # slide number -> (block, piece index), in deck order
    for block in model.blocks:
        for index, piece in enumerate(block.pieces):
            on_slide.setdefault(piece.slide.number, []).append((block, index))
    install = next((b for b in model.blocks if b.info in ("sh", "bash") and "pip install" in b.code), None)
    seen: dict[str, int] = {}
    cells: list = []
    done: set[int] = set()
    written: dict[str, int] = {}  # module -> pieces written so far

    def uses(block: deck.Block, code: str) -> set[str]:
        return {a or b for a, b in USES.findall(code)} & modules.keys() - {block.name.removesuffix(".py")}

    def piece_cell(block: deck.Block, index: int):
        code, name = block.pieces[index].code, block.name
        if block is install:  # `%pip` installs into the kernel's own environment
            source = "\n".join(f"%{line}" if line.startswith("pip ") else line for line in code.splitlines())
            return new_code_cell(source, id=cell_id("code", name, seen))
        if block.info != "python" and (script := rehearsal_script(block.code)):
            why = (f"（リポジトリの `tools/rehearsal/{script}` で PC の中にノードを作って試すコード："
                   "ノートブックでは実行しない。リポジトリを clone した Linux の端末で実行する）")
            return new_markdown_cell(f"{why}\n\n```{block.info}\n{code}```", id=cell_id("code", name, seen))
        for module in sorted(uses(block, code)):
            if written.get(module, 0) < len(modules[module].pieces):
                raise deck.DeckError(f"{block.where()}: uses {module}.py before the notebook has written all of it "
                                     "(its slides cannot come first: they use this block)")
        if block.is_module:
            written[name.removesuffix(".py")] = index + 1
            source = f"{'%%writefile -a' if index else '%%writefile'} {name}\n{cell_source(code)}"
        else:
            source = cell_source(code) if block.info == "python" else f"%%bash\n{cell_source(code)}"
        return new_code_cell(source, id=cell_id("code", name, seen))

    def emit(slide: deck.Slide) -> None:
        if slide.number in done:
            return
        done.add(slide.number)
        pieces = on_slide.get(slide.number, [])
        for module in sorted({m for block, i in pieces for m in uses(block, block.pieces[i].code)}):
            for piece in modules[module].pieces:  # the module's slides first, whole
                emit(piece.slide)
        if text := slide.prose.strip():
            cells.append(new_markdown_cell(with_figures(text, path.parent, slide), id=cell_id("md", slide.title or text, seen)))
        for block, index in pieces:
            cells.append(piece_cell(block, index))
            if index == len(block.pieces) - 1 and block.expected_output is not None:
                cells.append(new_markdown_cell(f"{EXPECTED}\n\n```text\n{block.expected_output}```",
                                               id=cell_id("out", block.name, seen)))
        if slide.notes:
            notes = "\n\n".join(plain(note.text) for note in slide.notes)
            cells.append(new_markdown_cell(f"{EXPLANATION}\n\n{notes}", id=cell_id("note", slide.title or notes, seen)))

    places = {slide.number: place(slide) for slide in model.slides}
    first = [s for s in model.slides if places[s.number] == "first" or (install and s is install.first.slide)]
    last = [s for s in model.slides if places[s.number] == "last"]
    for slide in model.slides[:1] + first + [s for s in model.slides if places[s.number] != "last"] + last:
        emit(slide)
    return new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    })


def text(path: Path) -> str:
    return nbformat.writes(build(path)) + "\n"
