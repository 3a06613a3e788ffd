"""Write the deck's 性能 slide from the benchmark's results, so no figure on it is typed by hand.

``make bench`` measures (build/bench/results.json); ``make bench-slide`` keeps that file as
``bench/results.json`` and rewrites the slide from it. A test fails when the slide and the kept
results disagree.

    python -m tools.bench_slide write   # rewrite the slide from bench/results.json
    python -m tools.bench_slide check   # exit 1 with a diff when the slide differs
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tools.generated import unified_diff, write_atomically

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
DECK = ROOT / "slides" / "pytorch-lightning.md"
HEADING = "# 性能：Lightning のオーバーヘッド"
FIX = "make bench-slide"


def render(results: dict) -> str:
    """The whole slide, heading to last line, from the benchmark's results."""
    m, p, fit, over = results["machine"], results["parity"], results.get("fit"), results.get("overhead")
    arms = [p["plain"], p["lightning"], p["bare"]]

    def row(label: str, cell) -> str:
        return f"| {label} | " + " | ".join(cell(arm) for arm in arms) + " |"

    def ratio(arm: dict) -> str:
        if "ratio" not in arm:
            return "1"
        r = arm["ratio"]
        return f"{r['median']:.3f}（{r['min']:.2f}〜{r['max']:.2f}）"

    lines = [
        HEADING,
        "",
        f"`make bench` {m['date']}：{m['cpu']} {m['cores']} コア（GPU {'なし' if not m['gpu'] else m['gpu']}）、"
        f"torch {m['torch'].split('+')[0]}、Lightning {m['pytorch_lightning']}",
        "",
        f"| 同じ {p['steps']} ステップ + 検証 | PyTorch だけ | Lightning（既定） | 既定の 5 機能を off |",
        "| --- | ---: | ---: | ---: |",
        row(f"時間（中央値、{len(p['plain']['runs'])} 回）", lambda a: f"{a['median']:.2f} 秒"),
        row("比（中央値、最小〜最大）", ratio),
        row("最大メモリ（RSS）", lambda a: f"{a['peak_rss_mb']:.0f} MB"),
        row("最後の loss", lambda a: f"{a['final_loss']:.6f}"),
        "",
    ]
    if over:
        costs, step_ms = over["costs"], p["plain"]["median"] / p["steps"] * 1000
        added = over["deck defaults"]["ms_per_step"]
        parts = [("self.log", "self.log"), ("progress bar", "プログレスバー"), ("Trainer loop itself", "ループ")]
        lines += [
            f"- 差：毎ステップ約 {added:.1f} ms（"
            + "、".join(f"{ja} {costs[key]['ms_per_step']:.1f}" for key, ja in parts)
            + "）と fit ごとの準備",
            f"- 毎ステップ分は 1 ステップ約 {step_ms:.0f} ms の {added / step_ms:.0%}：重いモデル・長い学習ほど比は 1 に近い",
        ]
    if fit and fit.get("seconds_to_98") is not None:
        lines.append(f"- テスト精度 98% まで {fit['seconds_to_98']:.1f} 秒（{fit['samples'] / fit['train_seconds']:,.0f} 枚/秒、CPU のみ）")
    verdict = "達成" if p["target_met"] else "未達"
    lines += ["", "<!--", "このスライドの数値は make bench の結果から make bench-slide が書き込んでいる（手で書き換えない）。"
              "比は同じマシンで交互に実行した組ごとの比の中央値。既定の 5 機能は、プログレスバー、ロガー、チェックポイント、"
              f"モデル要約、サニティチェック。fit ごとの準備は Trainer の初期化、サニティチェック、チェックポイント保存など。目標（既定で比 {p['target_ratio']} 以下）：{verdict}。"
              "内訳は build/bench/results.md。", "-->"]
    return "\n".join(lines) + "\n"


def replace_slide(deck_text: str, slide: str) -> str:
    start = deck_text.index(HEADING)
    end = deck_text.find("\n---\n", start)
    return deck_text[:start] + slide + deck_text[end if end != -1 else len(deck_text):]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["write", "check"])
    args = parser.parse_args(argv)
    deck_text = DECK.read_text(encoding="utf-8")
    if HEADING not in deck_text:
        print(f"error: {DECK.relative_to(ROOT)} has no slide headed '{HEADING}'", file=sys.stderr)
        return 1
    if not RESULTS.is_file():
        print(f"error: {RESULTS.relative_to(ROOT)} is missing: run `make bench` and `{FIX}`", file=sys.stderr)
        return 1
    expected = replace_slide(deck_text, render(json.loads(RESULTS.read_text(encoding="utf-8"))))
    if args.command == "write":
        if expected != deck_text:
            write_atomically(DECK, expected)
        print(f"{DECK.relative_to(ROOT)}: 性能 slide written from {RESULTS.relative_to(ROOT)}")
        return 0
    if expected != deck_text:
        diff = unified_diff(deck_text, expected, str(DECK.relative_to(ROOT)), source=str(RESULTS.relative_to(ROOT)))
        print(f"the 性能 slide differs from {RESULTS.relative_to(ROOT)}:\n{diff}Regenerate with: {FIX}",
              file=sys.stderr)
        return 1
    print("the 性能 slide matches the benchmark results")
    return 0


if __name__ == "__main__":
    sys.exit(main())
