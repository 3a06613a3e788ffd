"""The pytest plugin that runs the deck: every ```python/```sh/```bash block of ``slides/*.md``, in order,
as a reader would run it, with failures named by slide. pytest-codeblocks collects the blocks and runs
them (the runner the project's design names); this package is what the project adds around it.

- ``plugin.py``  the hooks, registered by the root conftest.py (``pytest_plugins``), and the xdist
                 scheduler that keeps the deck's blocks in order on one worker;
- ``run.py``     ``DeckRun``: the one object that holds a session's state (the cache, which items are
                 cached, the reader's folder, the figures a block saved, the outputs found);
- ``blocks.py``  running a block as a reader would: the one patch of pytest-codeblocks (its ``exec``),
                 the reader's folder, PATH, and the report of a failure by slide and deck line;
- ``cache.py``   what is proven: a deck block unchanged since a green run, and the tests by folder
                 (tests/deck/ always runs, tests/claims/ and tests/tooling/ are keyed);
- ``outputs.py`` ``make outputs``: expected outputs rewritten from the real ones.

Figures (``make figures``, the records in slides/figures/) are tools/figures.py's; the run calls it.
Every file here is part of the harness (``deck.paths.HARNESS``), in every deck block's cache key.
"""
