"""A broken code block fails the run and is reported with its slide, title and deck line."""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BROKEN_DECK = textwrap.dedent('''\
    ---
    marp: true
    ---

    # 動くスライド

    ```python
    x = 1
    ```

    ---

    # 壊れたスライド

    ```python
    y = 2
    raise ValueError("boom")
    ```
''')


def run_deck(tmp_path: Path, text: str) -> subprocess.CompletedProcess:
    deck = tmp_path / "deck.md"
    deck.write_text(text, encoding="utf-8")
    # Our conftest as a plugin, none of the project's pytest settings, the deck as the only input.
    cmd = [sys.executable, "-m", "pytest", "-c", "/dev/null", "--rootdir", str(tmp_path),
           "-p", "conftest", "--codeblocks", "-q", str(deck)]
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    return subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, env=env)


def test_a_failing_block_names_slide_title_and_line(tmp_path: Path):
    done = run_deck(tmp_path, BROKEN_DECK)
    assert done.returncode == 1, done.stdout
    assert "1 failed, 1 passed" in done.stdout
    assert f'{tmp_path}/deck.md:17 (slide 2「壊れたスライド」): raise ValueError("boom")' in done.stdout
    assert "ValueError: boom" in done.stdout


def test_a_wrong_expected_output_names_slide_and_shows_both(tmp_path: Path):
    deck = textwrap.dedent('''\
        ---
        marp: true
        ---

        # 出力の確認

        ```python
        print(1 + 1)
        ```

        <!-- pytest-codeblocks:expected-output -->
        ```text
        3
        ```
    ''')
    done = run_deck(tmp_path, deck)
    assert done.returncode == 1
    assert f"{tmp_path}/deck.md:7 (slide 1「出力の確認」): this code block failed" in done.stdout
    assert "Expected output\n```\n3\n```\nbut got\n```\n2\n```" in done.stdout
