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


def test_a_guarded_block_runs_as_a_script(run_deck):
    deck = textwrap.dedent('''\
        # スクリプトとして実行

        <!-- snippet: guarded -->
        ```python
        if __name__ == "__main__":
            print("main")
        ```

        <!-- pytest-codeblocks:expected-output -->
        ```text
        main
        ```
    ''')
    done = run_deck(deck)
    assert done.returncode == 0, done.stdout
