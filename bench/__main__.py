"""`make bench`: what Lightning adds to each training step, and what that makes of the deck's fit.

The method (the three experiments, rounds whose arms take turns, the two clocks, one torch thread, the
bootstrap intervals, the predicted and the measured ratio) is described in the README (Benchmark); the
arms are bench/worker.py's. Writes results.json and results.md to --out and prints the tables.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

from deck.paths import BUILD


class Experiment(NamedTuple):
    arms: tuple[str, ...]
    model: str
    batch_size: int
    steps: int
    threads: int


CHAIN = ("lightning", "no progress bar", "bare", "bare, no self.log", "plain")  # one default off after another
EXPERIMENTS = {
    "cost": Experiment(CHAIN, "linear", 128, 430, 1),
    "deck": Experiment(("plain", "lightning"), "cnn", 128, 430, 1),
    "batch 512": Experiment(("plain", "lightning"), "cnn", 512, 108, 1),
}
# 1 torch thread everywhere: on a shared 2-core machine two OpenMP threads wait for each other at
# every operation whenever a neighbour holds a core (measured here under load: 115-365 ms per step
# of the deck's CNN with 2 threads, 41 ms with 1), and the time measures the neighbours.
FITS = ("deck", "batch 512")  # the fits whose ratio is measured and predicted
PARTS = ("progress bar", "logger, checkpointing, model summary, sanity check", "self.log", "Trainer loop")
MIN_ROUNDS, RESAMPLES = 3, 10_000  # MIN_ROUNDS: kept before --minutes may stop the rounds
# glibc hands freed activation buffers back to the OS and faults them in again at random: measured
# here, a run did 0.9 M minor page faults instead of 0.06 M and lost ~2 s (15 %), in either arm.
# Fixed thresholds keep every run in the steady mode, so the comparison sees the frameworks.
STEADY_MALLOC = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20), "MALLOC_TRIM_THRESHOLD_": str(1 << 30)}


def take_turns(experiment: Experiment, order: list[str], root_dir: str) -> dict[str, dict]:
    """One round of an experiment: a process per arm, computing one at a time, turn by turn in `order`.
    The processes are forked from one forkserver that imported bench.worker (torch, Lightning, the
    deck's modules) once, with glibc's malloc thresholds set, so that a run starts at once."""
    from bench import worker  # the runs' entry point

    os.environ.update(STEADY_MALLOC)  # read by the server's glibc when it starts, inherited by each run
    context, runs = multiprocessing.get_context("forkserver"), {}
    context.set_forkserver_preload(["bench.worker"])
    try:
        for arm in order:
            conn, child_conn = context.Pipe()
            proc = context.Process(target=worker.child, args=(arm, experiment.steps, experiment.model,
                                   experiment.batch_size, experiment.threads,
                                   str(Path(root_dir) / arm), child_conn))  # a folder per arm: its own logs
            proc.start()
            child_conn.close()
            runs[arm] = (proc, conn)

        def receive(arm: str) -> bytes:
            try:
                message = runs[arm][1].recv_bytes()
            except EOFError:
                runs[arm][0].join()
                message = f"Ethe process ended without a word (exit code {runs[arm][0].exitcode})".encode()
            if message.startswith(b"E"):
                raise RuntimeError(f"the {arm} run ({experiment.model}) failed:\n{message[1:].decode()[-3000:]}")
            return message

        for arm in order:
            assert receive(arm) == b"R"
        turns, results = list(order), dict.fromkeys(order)
        while turns:
            arm = turns.pop(0)
            runs[arm][1].send_bytes(b"G")
            if (message := receive(arm)) == b"Y":
                turns.append(arm)
            else:
                results[arm] = json.loads(message)  # the run's last word: its result
        return results
    finally:
        for proc, conn in runs.values():
            conn.close()  # a run still waiting for a turn ends at once
            proc.join(timeout=60)
            if proc.exitcode is None:
                proc.kill()
                proc.join()


def measure(experiments: dict[str, Experiment], rounds: int, warmup: int, minutes: float, run) -> tuple[list, list]:
    """Rounds of every experiment (in a shuffled order, arms in a shuffled turn order) until `rounds`
    are kept or the next round would end after `minutes`. Returns the kept rounds and the load
    average seen after each round (warm-up included)."""
    shuffle, start, kept, loads, longest = random.Random(0), time.monotonic(), [], [], 0.0
    for i in range(warmup + rounds):
        began, round_ = time.monotonic(), {}
        for name in shuffle.sample(list(experiments), len(experiments)):
            arms = experiments[name].arms
            round_[name] = run(experiments[name], shuffle.sample(arms, len(arms)))
            losses = {arm: r["loss"] for arm, r in round_[name].items()}
            if max(losses.values()) - min(losses.values()) > 1e-4:
                raise RuntimeError(f"{name}: the arms did not train the same model: {losses}")
            print(f"round {i + 1}: {name:9s} " + "  ".join(
                f"{arm} {r['cpu_seconds']:.2f} s {r['cpu_ms_per_step']:.2f} ms/step" for arm, r in round_[name].items())
                + " (CPU time)", file=sys.stderr, flush=True)
        loads.append(round(os.getloadavg()[0], 2))
        if i >= warmup:
            kept.append(round_)
        longest = max(longest, time.monotonic() - began)
        if len(kept) >= min(MIN_ROUNDS, rounds) and time.monotonic() - start + longest > minutes * 60:
            print(f"stopping after {len(kept)} rounds: another would pass --minutes {minutes:g}",
                  file=sys.stderr, flush=True)
            break
    return kept, loads


def interval(estimate, n: int) -> dict:
    """The estimate on all rounds and its 95 % percentile interval, resampling whole rounds."""
    draw, values = random.Random(0), []
    for _ in range(RESAMPLES):
        values.append(estimate([draw.randrange(n) for _ in range(n)]))
    values.sort()
    return {"value": estimate(list(range(n))), "low": values[int(0.025 * RESAMPLES)],
            "high": values[int(0.975 * RESAMPLES) - 1]}


def summarise(kept: list[dict], experiments: dict[str, Experiment], clock: str) -> dict:
    """Every figure with its interval, on one clock: "cpu" (the runs' CPU time; with one thread, the
    time on a core, whatever the neighbours do) or "wall" (their wall time, waits for a core included)."""
    n = len(kept)
    seconds, ms = ("cpu_seconds", "cpu_ms_per_step") if clock == "cpu" else ("seconds", "ms_per_step")

    def column(name: str, arm: str, key: str, idx=range(n)) -> list[float]:
        return [kept[i][name][arm][key] for i in idx]

    def per_step(name: str, slower: str = "lightning", faster: str = "plain"):  # mean of the paired differences
        return lambda idx: statistics.fmean(s - f for s, f in zip(column(name, slower, ms, idx),
                                                                  column(name, faster, ms, idx), strict=True))

    def fit(name: str, cost) -> dict:
        return {"plain_seconds": statistics.fmean(column(name, "plain", seconds)),
                "plain_ms_per_step": statistics.fmean(column(name, "plain", ms)),
                "ms_per_step": interval(cost, n),
                "share": interval(lambda idx: cost(idx) / statistics.fmean(column(name, "plain", ms, idx)), n),
                "predicted": interval(lambda idx: 1 + cost(idx) * experiments[name].steps / 1000
                                      / statistics.fmean(column(name, "plain", seconds, idx)), n),
                "ratio": interval(lambda idx: sum(column(name, "lightning", seconds, idx))
                                  / sum(column(name, "plain", seconds, idx)), n)}

    chain = experiments["cost"].arms
    return {"cost_ms_per_step": interval(per_step("cost"), n),
            "plain_linear_ms_per_step": statistics.fmean(column("cost", "plain", ms)),
            "parts": {part: interval(per_step("cost", a, b), n)
                      for part, a, b in zip(PARTS, chain[:-1], chain[1:], strict=True)},
            "fits": {name: fit(name, per_step(name)) for name in FITS}}


def raw(kept: list[dict], experiments: dict[str, Experiment]) -> dict:
    """Every run's figures, per experiment and arm, in round order (what the summary is computed from)."""
    keys = ("cpu_seconds", "cpu_ms_per_step", "seconds", "ms_per_step")
    return {name: {**experiment._asdict(), "arms": {arm: {
        **{key: [r[name][arm][key] for r in kept] for key in keys},
        "loss": kept[-1][name][arm]["loss"], "peak_rss_mb": max(r[name][arm]["peak_rss_mb"] for r in kept),
        "page_faults": statistics.median(r[name][arm]["page_faults"] for r in kept)}
        for arm in experiment.arms}} for name, experiment in experiments.items()}


def machine(run: dict) -> dict:
    """Where the figures come from; the GPU as a worker saw it."""
    cpuinfo = Path("/proc/cpuinfo")
    names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
             if line.startswith("model name")] if cpuinfo.is_file() else []
    return {"date": dt.date.today().isoformat(), "cpu": names[0] if names else platform.processor() or "unknown",
            "cores": os.cpu_count(), "gpu": run["gpu"],
            "python": platform.python_version(), "torch": metadata.version("torch"),
            "pytorch_lightning": metadata.version("pytorch-lightning")}


def ci(x: dict, f: str = ".2f") -> str:
    return f"{x['value']:{f}} [{x['low']:{f}}, {x['high']:{f}}]"


def report(results: dict) -> str:
    """The tables in Markdown, for notes and issues (the slide is bench/slide.py)."""
    m, load = results["machine"], results["load"]
    lines = [f"Measured {m['date']}: {m['cpu']}, {m['cores']} cores, GPU: {m['gpu'] or 'none'}; Python {m['python']}, "
             f"torch {m['torch']}, pytorch-lightning {m['pytorch_lightning']}; 1 torch thread. {results['rounds']} rounds "
             f"({results['warmup_rounds']} more dropped as warm-up), {results['wall_seconds'] / 60:.1f} min; load average "
             f"(1, 5, 15 min) {load['before']} before, {load['after']} after. [95 % interval], bootstrap over rounds."]
    for clock, what in (("cpu", "CPU time (the figures of the slide)"), ("wall", "wall time, waits for a core included")):
        s = results["summary"][clock]
        lines += ["", f"## On {what}", "",
                  f"Lightning's cost per step with one linear layer (a step of the plain loop: "
                  f"{s['plain_linear_ms_per_step']:.2f} ms), one default off after another:", "",
                  "| part | ms per step |", "| --- | ---: |"]
        lines += [f"| {part} | {ci(x, '+.2f')} |" for part, x in s["parts"].items()]
        lines += [f"| **all of Lightning with the Trainer's defaults** | {ci(s['cost_ms_per_step'], '+.2f')} |", "",
                  "The deck's CNN, plain loop against the Trainer's defaults; predicted: 1 + cost per step × steps "
                  "÷ the plain fit's time; measured: the fits' times, set-up and validation included:", "",
                  "| fit | plain: time, per step | Lightning − plain, per step | share of a step "
                  "| ratio, predicted | ratio, measured |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for name, f in s["fits"].items():
            e = results["experiments"][name]
            lines.append(f"| {name}: {e['steps']} steps of batch {e['batch_size']}"
                         + (" + validation" if e["steps"] * e["batch_size"] >= 55_000 else "") + " "
                         f"| {f['plain_seconds']:.2f} s, {f['plain_ms_per_step']:.1f} ms | {ci(f['ms_per_step'], '+.2f')} ms "
                         f"| {ci(f['share'], '.1%')} | {ci(f['predicted'], '.3f')} | {ci(f['ratio'], '.3f')} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None, run=take_turns) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=BUILD / "bench")
    parser.add_argument("--rounds", type=int, default=20, help="rounds kept, at most")
    parser.add_argument("--minutes", type=float, default=13, help="start no round that would end after this")
    parser.add_argument("--warmup-rounds", type=int, default=0, help="rounds run first and dropped")
    parser.add_argument("--steps", type=int, help="steps of every experiment (smaller runs; default: each its own)")
    args = parser.parse_args(argv)
    if args.rounds < 1 or (args.steps is not None and args.steps < 2):
        parser.error("--rounds must be at least 1 and --steps at least 2")
    experiments = {name: e._replace(steps=args.steps or e.steps) for name, e in EXPERIMENTS.items()}
    load_before, began = os.getloadavg(), time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:  # the Trainers' logs and checkpoints
        kept, loads = measure(experiments, args.rounds, args.warmup_rounds, args.minutes,
                              lambda e, order: run(e, order, tmp))
    results = {"rounds": len(kept), "warmup_rounds": args.warmup_rounds, "wall_seconds": time.monotonic() - began,
               "machine": machine(kept[0]["deck"]["plain"]),
               "load": {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in os.getloadavg()],
                        "after_each_round": loads},
               "summary": {clock: summarise(kept, experiments, clock) for clock in ("cpu", "wall")},
               "experiments": raw(kept, experiments)}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    (args.out / "results.md").write_text(text := report(results))
    print(f"{text}\nwritten: {args.out}/results.json, results.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
