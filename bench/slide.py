"""The deck's 性能 slide, rendered from the benchmark's results: no figure on it is typed by hand.

``render(results)`` gives the slide's Markdown (heading, table, bullets, speaker note); the deck's
generated-region mechanism writes it between the slide's markers. ``python -m bench.slide`` prints
it from the kept results, bench/results.json. Maintainer notes belong here, not in the speaker note:
the ratio is median ÷ median (what the table's times give); its noise is the range of the ratios
within a round (plain and Lightning run back to back); the breakdown is another experiment (a
linear model, bench/worker.py --linear), averaged over rounds so that its parts add up.
"""

from __future__ import annotations

import json

from bench import chart
from deck.paths import BENCH_RESULTS

ARMS = {"plain": "PyTorch だけ", "lightning": "Lightning（既定）", "bare": "既定の 5 機能を無効化"}
PARTS = {"self.log": "`self.log()`", "progress bar": "プログレスバー", "Trainer loop": "ループ"}  # named on the slide
REST = "logger, checkpointing, model summary, sanity check"  # the other four defaults, in the note


def within_noise(ratios: dict) -> bool:
    """A range of the ratios within a round that contains 1: the difference is noise."""
    return ratios["min"] <= 1 <= ratios["max"]


def render(results: dict) -> str:
    m, p, b, steps = results["machine"], results["parity"], results["breakdown"], results["steps"]
    arms = [p["arms"][name] for name in ARMS]
    lightning, lo, hi = arms[1], arms[1]["pair_ratios"]["min"], arms[1]["pair_ratios"]["max"]

    def row(label: str, cell, plain: str | None = None) -> str:
        return f"| {label} | {plain or cell(arms[0])} | " + " | ".join(cell(a) for a in arms[1:]) + " |"

    def verdict(arm: dict) -> str:
        r = arm["pair_ratios"]
        return "ばらつきの範囲内" if within_noise(r) else f"どの組でも 1 より{'大きい' if r['min'] > 1 else '小さい'}"

    if all(within_noise(a["pair_ratios"]) for a in arms[1:]):
        verdicts = "差はばらつきの範囲内：組ごとの比がどちらも 1 をまたぐ"
    else:
        verdicts = f"組ごとの比：{ARMS['lightning']}は{verdict(arms[1])}、5 機能の無効化は{verdict(arms[2])}"
    ms = {key: round(b["parts"][key]["ms_per_step"]["mean"], 1) + 0.0 for key in (*PARTS, REST)}  # + 0.0: no "-0.0"
    where = f"{m['gpu']} の結果" if m["gpu"] else f"CPU {m['cores']} コアの結果"
    return "\n".join([
        "# 性能：素の PyTorch との比較",
        "",
        f"測定 {m['date']}：{m['cpu']} {m['cores']} コア（GPU {m['gpu'] or 'なし'}）、"
        f"torch {m['torch'].split('+')[0]}、Lightning {m['pytorch_lightning']}",
        "",
        f"| 同じ {steps} ステップ + 検証 | " + " | ".join(ARMS.values()) + " |",
        "| --- | ---: | ---: | ---: |",
        row(f"時間（{p['rounds']} 組の中央値）", lambda a: f"{a['seconds']['median']:.2f} 秒"),
        row("比：中央値どうし（組ごとの範囲）",
            lambda a: f"{a['ratio']:.2f}（{a['pair_ratios']['min']:.2f}〜{a['pair_ratios']['max']:.2f}）", "1"),
        row("最大メモリ（RSS）", lambda a: f"{a['peak_rss_mb']:.0f} MB"),
        row("最後の loss", lambda a: f"{a['loss']:.6f}"),
        "",
        f"- {verdicts}",
        f"- 内訳は別の実験（線形モデル）：1 ステップ約 {b['total']['ms_per_step']['mean']:.1f} ms の固定費（"
        + "、".join(f"{ja} {ms[key]:.1f} ms" for key, ja in PARTS.items()) + "）",
        f"- {where}：GPU で 1 ステップが短くなれば、固定費の割合は大きくなる"
        + ("" if m["gpu"] else "（GPU では未測定）"),
        "",
        "<!--",
        "\n".join([
            f"表の時間は {steps} ステップの学習と検証 1 回で、import とモデルの作成は含まない。",
            f"3 つを 1 回ずつ続けて実行したものが 1 組で、{p['rounds']} 組を比べた"
            + ("（最初のウォームアップの組は除外）" if results["warmup_rounds"] else "") + "。",
            f"比は中央値どうしの比で、Lightning（既定）は {lightning['ratio']:.2f} 倍。",
            f"同じ組の中での比は {lo:.2f}〜{hi:.2f}"
            + (" で 1 をまたぐので、この差は測定のばらつきと区別できない" if within_noise(lightning["pair_ratios"]) else "") + "。",
            "既定の 5 機能は、プログレスバー・ロガー・チェックポイント・モデル要約・サニティチェック。",
            "内訳は、計算がほとんどない線形モデルで機能を 1 つずつ外し、1 ステップの時間の差を平均した別の実験。",
            f"ループは `Trainer` のループそのもの。残りの 4 機能は合わせて {ms[REST]:.1f} ms。",
            "どれも計算の重さと関係なく、1 ステップごとにかかる時間。",
            "そのため 1 ステップが重いほど、割合は小さい。",
        ]),
        "-->",
        "",
        "---",
        "",
        "# 性能：組ごとの時間の比",
        "",
        f"点は 1 組ごとの比（同じ組の「{ARMS['plain']}」で割った値）、縦棒は表の比",
        "",
        f"![{chart.alt(results)}](figures/{chart.NAME})",
        "",
        f"- {verdicts}",
        "",
        "<!--",
        "1 より右の点は PyTorch だけより遅かった組、左の点は速かった組。"
        "同じ組の 3 つは続けて実行したので、その間のマシンの混み具合は近い。",
        "-->",
    ]) + "\n"


if __name__ == "__main__":
    print(render(json.loads(BENCH_RESULTS.read_text(encoding="utf-8"))), end="")
