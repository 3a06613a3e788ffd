"""A broken code block fails the run and is reported with its slide, title and deck line."""

import textwrap
from pathlib import Path


BROKEN_DECK = textwrap.dedent('''\
    ---
    marp: true
    ---

    # 動くスライド

    <!-- snippet: works -->
    ```python
    x = 1
    ```

    ---

    # 壊れたスライド

    <!-- snippet: breaks -->
    ```python
    y = 2
    raise ValueError("boom")
    ```
''')


def test_a_failing_block_names_slide_title_and_line(tmp_path: Path, run_deck):
    done = run_deck(BROKEN_DECK)
    assert done.returncode == 1, done.stdout
    assert "1 failed, 1 passed" in done.stdout
    assert f'{tmp_path}/deck.md:19 (slide 2「壊れたスライド」): raise ValueError("boom")' in done.stdout
    assert "ValueError: boom" in done.stdout


def test_a_wrong_expected_output_names_slide_and_shows_both(tmp_path: Path, run_deck):
    deck = textwrap.dedent('''\
        ---
        marp: true
        ---

        # 出力の確認

        <!-- snippet: prints -->
        ```python
        print(1 + 1)
        ```

        <!-- pytest-codeblocks:expected-output -->
        ```text
        3
        ```
    ''')
    done = run_deck(deck)
    assert done.returncode == 1
    assert f"{tmp_path}/deck.md:8 (slide 1「出力の確認」): this code block failed" in done.stdout
    assert "Expected output\n```\n3\n```\nbut got\n```\n2\n```" in done.stdout
