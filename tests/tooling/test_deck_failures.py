"""A broken code block fails the run and is reported with its slide, title and deck line."""

import textwrap
from pathlib import Path


# A guarded block that passes (it runs as a script), one that raises, one whose output is not the one shown.
BROKEN_DECK = textwrap.dedent('''\
    ---
    marp: true
    ---

    # 動くスライド

    <!-- snippet: guarded -->
    ```python
    if __name__ == "__main__":
        print("main")
    ```

    <!-- pytest-codeblocks:expected-output -->
    ```text
    main
    ```

    ---

    # 壊れたスライド

    <!-- snippet: breaks -->
    ```python
    y = 2
    raise ValueError("boom")
    ```

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


def test_a_failing_block_names_slide_title_and_line_and_a_wrong_output_shows_both(tmp_path: Path, run_deck):
    done = run_deck(BROKEN_DECK)
    assert done.returncode == 1, done.stdout
    assert "2 failed, 1 passed" in done.stdout  # the guarded block ran as a script: it printed its output
    assert f'{tmp_path}/deck.md:25 (slide 2「壊れたスライド」): raise ValueError("boom")' in done.stdout
    assert "ValueError: boom" in done.stdout
    assert f"{tmp_path}/deck.md:33 (slide 3「出力の確認」): this code block failed" in done.stdout
    assert "Expected output\n```\n3\n```\nbut got\n```\n2\n```" in done.stdout


def test_update_outputs_rewrites_a_changed_output_and_then_it_passes(tmp_path: Path, run_deck):
    deck = textwrap.dedent('''\
        ---
        marp: true
        ---

        # 出力が変わった

        <!-- snippet: changed -->
        ```python
        print("new")
        print("same")
        ```

        <!-- pytest-codeblocks:expected-output -->
        ```text
        old
        same
        ```
    ''')
    done = run_deck(deck, "--update-outputs")
    assert done.returncode == 1  # this run saw the difference
    assert "-old\n+new\n same" in done.stdout and "1 expected output(s) rewritten" in done.stdout
    fixed = (tmp_path / "deck.md").read_text(encoding="utf-8")
    assert fixed == deck.replace("old\nsame", "new\nsame")
    assert run_deck(fixed).returncode == 0
