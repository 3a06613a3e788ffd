"""The 性能 slide's chart, drawn from the kept benchmark results (bench/results.json).

One dot per round: that round's time of an arm divided by the plain loop's time in the same round
(the "組ごとの範囲" of the slide's table, round by round), a bar at the table's ratio (median over
median), and a line at 1, where the plain loop is. Dots on both sides of the line are what the
slide's verdict "揺れの範囲内" means.

``files(results)`` gives ``slides/figures/parity.svg`` and its record (tools/figures.py); the one
generate/check mechanism (tools/generate.py) writes and checks them, like the slide's text. The SVG
is the same bytes on every run (fixed ids, no date), so `make check` can compare it.
"""

from __future__ import annotations

from pathlib import Path

NAME = "parity.svg"
ARMS = ("lightning", "bare")  # drawn against "plain"; their names on the slide: bench.slide.ARMS
REFERENCE = "plain"


def ratios(results: dict) -> dict[str, list[float]]:
    """Per arm, each round's time over the plain loop's time in that round (runs are kept in round order)."""
    arms = results["parity"]["arms"]
    return {arm: [t / p for t, p in zip(arms[arm]["runs"], arms[REFERENCE]["runs"], strict=True)] for arm in ARMS}


def alt(results: dict) -> str:
    """The image's alt text: what the chart shows, in Japanese."""
    from bench.slide import ARMS as NAMES

    both_sides = all(min(r) < 1 < max(r) for r in ratios(results).values())
    return (f"{NAMES[REFERENCE]}との時間の比を {results['parity']['rounds']} 組それぞれ 1 点で示した図："
            + ("どちらの設定も点が 1 の両側にある" if both_sides else "点が 1 の片側に寄っている設定がある"))


def draw(results: dict):
    """The chart as a matplotlib Figure, in the deck's style (no pyplot: no global state)."""
    import matplotlib
    from matplotlib.figure import Figure

    from bench.slide import ARMS as NAMES
    from tools import figures

    with matplotlib.rc_context(figures.deck_style()):
        fig = Figure(figsize=(10, 3.0))
        ax = fig.subplots()
        ax.axvline(1, color="#999999", linewidth=1.5, zorder=0)
        for row, (arm, values) in enumerate(ratios(results).items()):
            ax.plot(values, [row] * len(values), "o", markersize=12, alpha=0.6, color=figures.OKABE_ITO[0])
            ratio = results["parity"]["arms"][arm]["ratio"]  # the table's: median over median
            ax.plot([ratio], [row], "|", markersize=40, markeredgewidth=3, color="#000000")
        ax.set_yticks(range(len(ARMS)), [NAMES[arm] for arm in ARMS])
        ax.set_ylim(-0.6, len(ARMS) - 0.4)
        ax.invert_yaxis()  # the table's order, top to bottom
        ax.spines["left"].set_visible(False)
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel(f"{NAMES[REFERENCE]}との時間の比（右ほど遅い）")
    return fig


def files(results: dict) -> dict[Path, str]:
    """slides/figures/parity.svg and its record, as tools/generate.py writes them."""
    import matplotlib

    import deck
    from deck.paths import BENCH_RESULTS, DECKS
    from tools import figures

    with matplotlib.rc_context(figures.deck_style()):
        return figures.generated_figure(deck.load(DECKS[0]), draw(results), NAME, Path(__file__), BENCH_RESULTS)
