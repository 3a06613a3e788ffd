"""The deck's 性能 slide, rendered from the benchmark's results: no figure on it is typed by hand.

``render(results)`` gives the slide's Markdown (heading, table, bullets, speaker note); the deck's
generated-region mechanism (tools/generate.py) writes it between the slide's markers.
``python -m bench.slide`` prints it from the kept results, bench/results.json. The wording is the
template below; only the numbers come from the results, on the CPU-time clock (bench/__main__.py).
Maintainer notes belong here, not in the speaker note: the ratio is the sum of the Lightning fits'
times over the plain fits' (same rounds); the prediction is 1 + per-step cost × steps ÷ the plain
fit's time; each interval is a 95 % bootstrap over rounds.
"""

from __future__ import annotations

import json

from deck.paths import BENCH_RESULTS

FITS = ("deck", "batch 512")  # the table's columns: bench/__main__.py's experiments

TEMPLATE = """\
# 性能：素の PyTorch との比較

| 本資料の学習（バッチ {batch}、{steps} ステップ + 検証） | 測定 |
| --- | ---: |
| PyTorch だけの 1 ステップ | {plain} |
| 1 ステップごとの上乗せ時間 | {cost} |
| 学習全体の時間の比（予測） | {predicted} |
| 学習全体の時間の比（実測） | {ratio} |

- 予測は「1 + 上乗せ時間 × ステップ数 ÷ PyTorch だけの学習時間」。かっこ内は 95% 信頼区間。
- {shares}
- CPU {cores} コアのマシン、1 スレッドでの結果。GPU では未測定。

<!--
{note}
-->
"""

NOTE = (
    "同じモデル、データ、シードで、PyTorch だけのループと、既定の設定の Trainer を比べた。"
    "2 つを少しずつ交互に動かし、それぞれが計算に使った CPU の時間を測った。"
    "こうすると、同じマシンのほかの処理の影響が、両方へ等しくかかる。"
    "これを {rounds} 組くり返して、95% 信頼区間を出した。"
    "上乗せの中身は、プログレスバー、self.log、Trainer のループなど。"
    "予測はステップの時間だけで計算した。実測には準備と検証の時間も入る。"
    "1 ステップが短い GPU では、上乗せの割合が大きくなりうる。"
    "GPU ではまだ測っていない。"
    "測定は {date}、torch {torch}、Lightning {lightning}。"
)


def _range(x: dict, f: str, unit: str = "") -> str:
    return f"{x['value']:{f}}{unit}（{x['low']:{f}}〜{x['high']:{f}}）"


def render(results: dict) -> str:
    m, s, experiments = results["machine"], results["summary"]["cpu"], results["experiments"]
    deck, heavy = (s["fits"][name] for name in FITS)
    # The heavier step is one more point of the same trend, in a bullet: its per-step cost did not
    # reproduce across days as the deck's did (README, 性能), so its share is given, not a column.
    share, heavy_share = deck["share"], heavy["share"]
    return TEMPLATE.format(
        cores=m["cores"],
        batch=experiments["deck"]["batch_size"],
        steps=experiments["deck"]["steps"],
        plain=f"{deck['plain_ms_per_step']:.1f} ms",
        cost=_range(deck["ms_per_step"], ".1f", " ms"),
        predicted=_range(deck["predicted"], ".3f"),
        ratio=_range(deck["ratio"], ".3f"),
        shares=(("1 ステップが重いほど上乗せの割合は小さい：" if heavy_share["value"] < share["value"] else "上乗せの割合：")
                + f"バッチ {experiments['deck']['batch_size']} で {share['value']:.0%}、"
                f"{experiments['batch 512']['batch_size']} で {heavy_share['value']:.0%}"
                f"（{heavy_share['low']:.0%}〜{heavy_share['high']:.0%}）。"),
        note=NOTE.format(rounds=results["rounds"], date=m["date"], torch=m["torch"].split("+")[0],
                         lightning=m["pytorch_lightning"]),
    )


if __name__ == "__main__":
    print(render(json.loads(BENCH_RESULTS.read_text(encoding="utf-8"))), end="")
