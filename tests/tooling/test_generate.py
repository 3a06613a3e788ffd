"""Generated files match their sources, and the deck model reads the deck as Marp does."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

import deck
from deck.paths import DECKS, HARNESS, ROOT
from tests.support.scratch import marp_build
from tools import generate
from tools.generated import copy_project_files

# What a copy of the project needs to generate its files.
GENERATION_INPUTS = [*HARNESS, "slides", "snippets", "bench", "PyTorchLightningExampleOnMNIST.ipynb"]


def copy_project(tmp_path: Path) -> Path:
    copy_project_files(GENERATION_INPUTS, ROOT, tmp_path)
    return tmp_path


def run_generate(root: Path, command: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tools.generate", command], cwd=root, capture_output=True, text=True)


def write_deck(tmp_path: Path, body: str) -> deck.Deck:
    path = tmp_path / "deck.md"
    path.write_text("---\nmarp: true\n---\n\n" + textwrap.dedent(body), encoding="utf-8")
    return deck.load(path)


# The deck as sample input: its code (in snippets/, in this test's key) decides, not its words.
def test_check_shows_each_drift_with_the_fix_and_write_repairs_it_renaming_nothing(tmp_path: Path):
    root = copy_project(tmp_path)
    module = root / "snippets" / "litmodule.py"
    module.write_text(module.read_text().replace("lr: float = 2e-3", "lr: float = 3e-4"))
    (root / "snippets" / "scratch.py").write_text("print('not in the deck')\n")
    notebook = root / "PyTorchLightningExampleOnMNIST.ipynb"
    notebook.write_text(notebook.read_text().replace("max_epochs=2", "max_epochs=7"))
    results = root / "bench" / "results.json"  # the source of the 性能 slide's generated region
    data = json.loads(results.read_text())
    data["machine"]["cores"] = 64
    results.write_text(json.dumps(data))
    deck_file = root / "slides" / DECKS[0].name

    checked = run_generate(root, "check")
    assert checked.returncode == 1
    assert "-    def __init__(self, lr: float = 3e-4):" in checked.stderr
    assert "+    def __init__(self, lr: float = 2e-3):" in checked.stderr
    assert "--- snippets/scratch.py" in checked.stderr  # a file the deck does not make
    assert "max_epochs=7" in checked.stderr
    assert f"--- slides/{DECKS[0].name}" in checked.stderr and "CPU 64 コア" in checked.stderr  # a stale region
    assert checked.stderr.rstrip().endswith("Fix with: make generate")

    assert run_generate(root, "write").returncode == 0
    assert run_generate(root, "check").returncode == 0
    assert not (root / "snippets" / "scratch.py").exists()
    assert "CPU 64 コア" in deck_file.read_text(encoding="utf-8")

    # A slide inserted before the others renames no snippet and no notebook cell.
    ids = [c.id for c in nbformat.read(notebook, as_version=4).cells]
    text = deck_file.read_text(encoding="utf-8")
    first_break = text.index("\n---\n", text.index("\n---\n") + 1)  # after the title slide
    deck_file.write_text(text[:first_break] + "\n---\n\n# 挿入したスライド\n\n```python\n# inserted.py\nX = 1\n```\n"
                         + text[first_break:], encoding="utf-8")
    done = run_generate(root, "write")
    assert done.returncode == 0, done.stderr
    changed = done.stdout.split()
    assert [name for name in changed if name.startswith("snippets/")] == ["snippets/inserted.py"]
    new_ids = [c.id for c in nbformat.read(notebook, as_version=4).cells]
    assert [i for i in new_ids if i in ids] == ids  # every old cell keeps its id, in order


@pytest.mark.parametrize("body, error", [
    ("<!-- generated: nonsense -->\n\n<!-- /generated -->\n", "unknown generated region 'nonsense'"),
    ("<!-- generated: performance -->\n\n# 性能\n", "generated region is never closed"),
    ("# 性能\n\n<!-- /generated -->\n", "without a start marker"),
])
def test_broken_region_markers_are_named(tmp_path: Path, body: str, error: str):
    model = write_deck(tmp_path, body)
    with pytest.raises(deck.DeckError, match=error) as raised:
        generate.with_regions(model.path)
    assert f"{model.path}:" in str(raised.value) and "(slide 1" in str(raised.value)


# ---- the deck model reads what Marp reads ------------------------------------------------------

CASES = """\
    # 最初のスライド

    見出しになる行
    ---

    この上の --- は区切りではなく、見出し（setext）の下線

    <!--
    ノートの中の区切り
    ---
    # ノートの中の見出し
    -->

    ---

    <!--
    # コメントの中の見出しはタイトルではない
    -->

    ## 2 枚目の本当の見出し
    """


def test_the_model_splits_slides_and_finds_titles_and_notes_as_marp_does(tmp_path: Path):
    model = write_deck(tmp_path, CASES)
    assert [s.title for s in model.slides] == ["最初のスライド", "2 枚目の本当の見出し"]
    assert "見出しになる行" in model.slides[0].prose  # a setext heading, not a slide break
    assert [n.text for n in model.slides[0].notes] == ["ノートの中の区切り\n---\n# ノートの中の見出し"]
    assert [n.text for n in model.slides[1].notes] == ["# コメントの中の見出しはタイトルではない"]

    # Marp itself: the same number of slides and the same notes.
    html, notes = tmp_path / "deck.html", tmp_path / "deck.txt"
    for args in (["-o", str(html)], ["--notes", "-o", str(notes)]):
        done = marp_build(str(model.path), *args)
        assert done.returncode == 0, done.stderr
    assert html.read_text().count("<section") == len(model.slides)
    marp_notes = notes.read_text()
    for slide in model.slides:
        for note in slide.notes:
            assert note.text in marp_notes


SKIPPED = "would not be run by pytest-codeblocks. Use exactly ```python, ```sh or ```bash (every block runs)"


@pytest.mark.parametrize("block, error", [
    # pytest-codeblocks reads backtick fences only
    ("<!-- snippet: tilde -->\n~~~python\nprint(1)\n~~~\n", "a ~~~python fence is shown as code but pytest-codeblocks "
     "reads only backtick fences, so it would never run: write ```python"),
    # fences pytest-codeblocks would skip in silence
    *[(f"<!-- snippet: never -->\n{fence}\nprint(1)\n```\n", f"code block {fence} {SKIPPED}")
      for fence in ("```py", "```python title=demo.py", "```console")],
    # in a note, where Marp shows no code
    ("<!--\n```python\nprint('hidden')\n```\n-->\n", "pytest-codeblocks runs a ``` block here that Marp does not show"),
    ("\n```python\nprint(1)\n```\n", "give this block a stable name"),
    ("<!-- snippet: Fit -->\n```python\nprint(1)\n```\n", "snippet name 'Fit' must be lower case"),
    ("<!-- snippet: csv -->\n```python\nprint(1)\n```\n", "snippet name 'csv' would shadow the standard module csv"),
])
def test_a_block_marp_and_pytest_codeblocks_would_read_apart_or_a_bad_name_is_named_with_its_line(
        tmp_path: Path, block: str, error: str):
    with pytest.raises(deck.DeckError) as raised:
        write_deck(tmp_path, f"# 最初\n\n---\n\n# ブロック\n\n{block}").blocks  # the fence is line 12
    assert "deck.md:12 (slide 2「ブロック」): " in str(raised.value) and error in str(raised.value), raised.value


def test_the_notebook_runs_set_up_first_writes_a_module_before_its_first_use_and_the_exercise_last(tmp_path: Path):
    from tools import notebook

    model = write_deck(tmp_path, """\
        # 題

        ---

        # 使う

        <!-- snippet: use -->
        ```python
        from helper import greet

        greet()
        ```

        ---

        # 付録：練習

        <!-- notebook: last -->
        <!-- snippet: exercise -->
        ```python
        greet()
        ```

        ---

        # 付録：定義

        ```python
        # helper.py
        def greet():
        ```

        <!-- pytest-codeblocks:cont -->
        ```python
            print("hi")
        ```

        <!-- pytest-codeblocks:expected-output -->
        ```text
        hi
        ```

        この関数を使う

        <!-- 定義の解説 -->

        ---

        # 付録：準備

        <!-- notebook: first -->
        <!-- snippet: setup -->
        ```python
        import warnings
        ```
        """)
    cells = notebook.build(model.path).cells
    assert [c.source.splitlines()[0] for c in cells] == [
        "# 題", "# 付録：準備", "import warnings",
        "# 付録：定義", "%%writefile helper.py", "%%writefile -a helper.py", notebook.EXPECTED, notebook.EXPLANATION,
        "# 使う", "from helper import greet",
        "# 付録：練習", "greet()"]
    assert cells[6].source == f"{notebook.EXPECTED}\n\n```text\nhi\n```" and cells[7].source.endswith("定義の解説")
    assert "<!--" not in "".join(c.source for c in cells)  # the markers are hidden


def test_an_unknown_notebook_marker_is_an_error(tmp_path: Path):
    from tools import notebook

    model = write_deck(tmp_path, "# 付録：準備\n\n<!-- notebook: frist -->\n")
    with pytest.raises(deck.DeckError, match=r"line 7 \(slide 1「付録：準備」\): unknown <!-- notebook: frist --> \(known: first, last\)"):
        notebook.build(model.path)
