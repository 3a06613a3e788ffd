"""``DeckRun``: one object per pytest process, with everything a session of the deck run keeps; its hooks
come in the order pytest calls them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pytest_codeblocks.plugin import TestBlock

import deck
from deck.paths import shown
from harness import blocks, cache, outputs
from tools import figures


class DeckRun:
    NAME = "deck-run"

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.update_outputs = config.getoption("update_outputs", False)
        self.update_figures = config.getoption("update_figures", False)
        self.fresh = cache.fresh() or self.update_outputs or self.update_figures
        self.cache = cache.RunCache.load()
        self.keys: dict[str, str] = {}  # nodeid -> its cache key, recorded when it passes
        self.cached: set[str] = set()  # nodeids proven by an earlier green run: not run, reported "cached"
        self.folder = blocks.ReaderFolder()
        self.saved: list[tuple[Path, dict]] = []  # (file, what it plots) for each savefig of the running block
        self.found: list[tuple[deck.Block, str]] = []  # (block, what it really printed) for --update-outputs
        self.figures_captured = False

    # ---- what is proven ---------------------------------------------------------------------
    def prove(self, item: pytest.Item, key: str | None) -> bool:
        """Note `item`'s key (its entry once it passes); True (and reported "cached") if a green run had it."""
        if key is None:
            return False
        self.keys[item.nodeid] = key
        if not self.fresh and key in self.cache.entries:
            self.cached.add(item.nodeid)
            return True
        return False

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            if isinstance(item, TestBlock) or not Path(item.path).is_relative_to(cache.TESTS):
                continue
            if (folder := cache.folder_of(item.path)) not in cache.FOLDERS:
                pytest.exit(f"error: {shown(item.path)}: put it in tests/deck/ (it reads the deck or what is made from "
                            "it), tests/claims/ (Lightning's behaviour) or tests/tooling/ (the tooling): README, "
                            "How it fits together", 2)
            if self.prove(item, cache.key_for_test(folder, item.nodeid)):
                item.add_marker(pytest.mark.skip(reason="cached"))  # neither its fixtures nor the test run
        decks = [item for item in items if isinstance(item, TestBlock)]
        if decks:
            blocks.check_the_readers_setup()
        for item in decks:
            block = self.block(item)
            if self.prove(item, self.cache.key(block) if block else None):
                item.add_marker(pytest.mark.skip(reason="cached"))

    @staticmethod
    def block(item: TestBlock) -> deck.Block | None:
        """The model's block that pytest-codeblocks' item runs (the model reads the deck as Marp does)."""
        try:
            return next((b for b in deck.load(Path(item.path)).blocks if b.line == item.obj.lineno), None)
        except deck.DeckError as e:
            pytest.exit(f"error: {e}", 2)

    # ---- running a block --------------------------------------------------------------------
    def capture_figures(self) -> None:
        """Draw in the deck's style, and note what every savefig of a block plots (tools/figures.py)."""
        if self.figures_captured:
            return
        from matplotlib.figure import Figure

        try:
            figures.use_deck_style()
        except FileNotFoundError as e:  # the deck's font comes from node_modules: one line, not one per block
            pytest.exit(f"error: {e}", 2)
        original, saved = Figure.savefig, self.saved

        def savefig(fig, fname, *args, **kwargs):
            original(fig, fname, *args, **kwargs)
            if isinstance(fname, (str, os.PathLike)):  # a file a block made; not a buffer (io.BytesIO)
                saved.append((Path(fname).resolve(), figures.plotted(fig)))

        Figure.savefig = savefig  # for this process: every deck block may save a figure
        self.figures_captured = True

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):
        if not isinstance(item, TestBlock):
            yield
            return
        for script in ("two_nodes.sh", "slurm_cluster.sh"):  # two_nodes.sh runs on loopback without namespaces
            if f"source {script}" in item.obj.code and (why := blocks.cluster_why_not(script)):
                if script == "slurm_cluster.sh" or cache.flag("CI"):
                    blocks.without_cluster(script, why)
        model = deck.load(Path(item.path).resolve())
        folder = self.folder.for_deck(model)
        if any(image.src.startswith(f"{figures.FOLDER}/") for s in model.slides for image in s.images):
            self.capture_figures()
        self.saved.clear()
        previous = os.getcwd()
        os.chdir(folder)
        try:
            yield
        finally:
            os.chdir(previous)

    # ---- judging and reporting --------------------------------------------------------------
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        report = (yield).get_result()
        if item.nodeid in self.cached:  # skipped at setup, or ended early by `proven`: reported as cached
            report.deck_cached = True
            return
        if report.when != "call":
            return
        block = self.block(item) if isinstance(item, TestBlock) else None
        if report.passed and block and self.saved:  # judging its figures
            if self.update_figures:
                report.sections.append(("figures", "\n".join(figures.keep(p, block, data) for p, data in self.saved)))
            elif problems := [line for path, data in self.saved for line in figures.compare(path.name, block, data)]:
                report.outcome, report.longrepr = "failed", "\n".join(problems)
        if report.passed and item.nodeid in self.keys:
            self.cache.add(self.keys[item.nodeid], item.nodeid)
        if report.failed and call.excinfo and block:
            error = call.excinfo.value
            if self.update_outputs and (actual := outputs.actual_output(block, error)) is not None:
                self.found.append((block, actual))
            report.longrepr = f"{blocks.explain(block, error)}\n\n{report.longrepr}"

    def pytest_report_teststatus(self, report: pytest.TestReport):
        if getattr(report, "deck_cached", False) and (report.when == "call" or report.skipped):
            return "cached", "c", ("CACHED", {"cyan": True})
        return None

    def pytest_terminal_summary(self, terminalreporter) -> None:
        cached = len(terminalreporter.stats.get("cached", []))
        if cached:
            terminalreporter.write_line(
                f"{cached} cached: not re-run, unchanged since their last green run with the same code, "
                f"versions and data ({shown(cache.CACHE_FILE)}; tests/deck/ always runs). "
                "Run everything with FRESH=1 (CI does).")
        for line in outputs.apply(self.found):
            terminalreporter.write_line(line)
        self.found.clear()

    def pytest_sessionfinish(self) -> None:
        self.cache.save()
        self.folder.remove()
