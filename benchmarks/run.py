"""Benchmark `engine.gradient` against the hand-written gradients of `workloads.py`.

Run on purpose, never part of the test suite:

    python benchmarks/run.py [--repeats N] [--only NAME ...] [--backend NAME|all] [--json PATH]

`--only` takes workload names (`mlp`) or their W-numbers (`W2`). Three things are measured:

1. Correctness: for each workload `W`, with `args, consts = workloads.make_inputs(W)` and
   `f = functools.partial(W.f, **consts)`, `engine.gradient(f, *args)` is compared with
   `W.grad_by_hand(*args, **consts)`. The error of each gradient is max|engine - hand| /
   max|hand|; the largest over the arguments is printed, and flagged MISMATCH above 1e-8.
   An engine without reverse mode (`forward`) needs one pass per input coordinate for a
   gradient: above MAX_FORWARD_GRADIENT coordinates one `engine.jvp` along a random
   direction is checked (against the hand-written gradient dotted with it) and timed instead.
2. Steady-state speed: in this process, engine and hand-written gradients are interleaved
   for `--repeats` rounds (the order alternates between rounds). Each round times one batch
   of calls of each, the batch sized beforehand to take at least 0.1 s (`time.perf_counter`).
   Reported: the median time per call of each, and the median, min and max over rounds of
   the per-round ratio engine/hand, against the target (10x for the scalar loops W1 and W4,
   1.5x for the array workloads).
3. Time to first gradient: fresh processes (`sys.executable -c ...`) import numpy and
   scipy.linalg, then time `import engine`, the first `engine.gradient` (rules loaded,
   code transformed) and the second (warm), on W1 and, separately, on W5; the medians over
   3 processes are reported (byte-code caching on, see `first_gradient`).

`--backend all` runs the three built-in engines one after the other, each in a process of
its own, and ends with a table of the ratios per engine. The exit status is 1 when a
gradient errors or mismatches (an engine's refusal, such as the tape's of SciPy functions
it cannot intercept, counts), else 0; missed speed targets are reported, not failed.
"""

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import workloads

import engine
from rulescore import HasReverseMode

TOLERANCE = 1e-8
MIN_BATCH_S = 0.1
FRESH_PROCESSES = 3
TARGETS = {"scalar_chain": 10.0, "control_flow": 10.0}  # the array workloads: 1.5
FIRST_GRADIENT_ON = ["scalar_chain", "gp_loglik"]
# A forward-only engine's gradient takes one pass per input coordinate: above this many,
# one `jvp` (one pass) is timed instead, against the whole hand-written gradient.
MAX_FORWARD_GRADIENT = 64
BUILT_IN = ["reverse", "forward", "tape"]
FRESH_KEYS = ("import_numpy_scipy", "import_engine", "first_gradient", "second_gradient")

CHILD = """
import sys, time
t0 = time.perf_counter()
import numpy, scipy.linalg
t1 = time.perf_counter()
sys.path.insert(0, sys.argv[1])
import functools, json, workloads
t2 = time.perf_counter()
import engine
t3 = time.perf_counter()
W = workloads.BY_NAME[sys.argv[2]]
args, consts = workloads.make_inputs(W)
f = functools.partial(W.f, **consts)
backend = sys.argv[3] or None
t4 = time.perf_counter()
engine.gradient(f, *args, backend=backend)
t5 = time.perf_counter()
engine.gradient(f, *args, backend=backend)
t6 = time.perf_counter()
print(json.dumps({"import_numpy_scipy": t1 - t0, "import_engine": t3 - t2,
                  "first_gradient": t5 - t4, "second_gradient": t6 - t5}))
"""


def rel_error(got: tuple[Any, ...], want: tuple[Any, ...]) -> float:
    """Largest over the arguments of max|got - want| / max|want|."""
    if len(got) != len(want):
        raise ValueError(f"engine gave {len(got)} gradients, hand-written {len(want)}")
    errors = []
    for g, w in zip(got, want, strict=True):
        g_arr, w_arr = np.asarray(g, dtype=float), np.asarray(w, dtype=float)
        if g_arr.shape != w_arr.shape:
            raise ValueError(f"gradient shape {g_arr.shape}, hand-written {w_arr.shape}")
        scale = max(float(np.max(np.abs(w_arr), initial=0.0)), 1e-300)
        errors.append(float(np.max(np.abs(g_arr - w_arr), initial=0.0)) / scale)
    return max(errors)


def time_batch(fn: Callable[[], Any], n: int) -> float:
    """Seconds per call of `fn`, from one batch of `n` calls."""
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def batch_size(fn: Callable[[], Any]) -> int:
    """The smallest power of two of calls of `fn` taking at least MIN_BATCH_S."""
    n = 1
    while time_batch(fn, n) * n < MIN_BATCH_S:
        n *= 2
    return n


def bench(w: Any, backend: str | None, repeats: int) -> dict[str, Any]:
    args, consts = workloads.make_inputs(w)
    f = functools.partial(w.f, **consts)
    result: dict[str, Any] = {"name": w.name, "label": w.label}
    coordinates = sum(int(np.size(a)) for a in args)
    forward_only = not isinstance(engine.get_engine(backend), HasReverseMode)
    measured = "jvp" if forward_only and coordinates > MAX_FORWARD_GRADIENT else "gradient"
    result.update(measured=measured, coordinates=coordinates)
    try:
        want = w.grad_by_hand(*args, **consts)
        if measured == "jvp":
            v = tuple(np.random.default_rng(0).standard_normal(np.shape(a)) for a in args)
            jvp_want = sum(float(np.sum(g * t)) for g, t in zip(want, v, strict=True))
            err = rel_error((engine.jvp(f, args, v, backend=backend)[1],), (jvp_want,))
        else:
            err = rel_error(engine.gradient(f, *args, backend=backend), want)
    except Exception:
        result["error"] = traceback.format_exc()
        print(f"{w.label}: engine.{measured} FAILED\n{result['error']}", flush=True)
        return result
    result.update(rel_error=err, mismatch=err > TOLERANCE)
    print(f"{w.label:22s} max rel. error {err:.2e} {'MISMATCH' if err > TOLERANCE else 'ok'}")
    fns = {
        "engine": (lambda: engine.jvp(f, args, v, backend=backend))
        if measured == "jvp"
        else (lambda: engine.gradient(f, *args, backend=backend)),
        "hand": lambda: w.grad_by_hand(*args, **consts),
    }
    sizes = {k: batch_size(fn) for k, fn in fns.items()}
    times: dict[str, list[float]] = {"engine": [], "hand": []}
    for r in range(repeats):
        for k in ("engine", "hand") if r % 2 == 0 else ("hand", "engine"):
            times[k].append(time_batch(fns[k], sizes[k]))
    ratios = [e / h for e, h in zip(times["engine"], times["hand"], strict=True)]
    target = TARGETS.get(w.name, 1.5)
    ratio = statistics.median(ratios)
    result.update(
        batch=sizes,
        engine_s=statistics.median(times["engine"]),
        hand_s=statistics.median(times["hand"]),
        ratio=ratio,
        ratio_min=min(ratios),
        ratio_max=max(ratios),
        target=target,
        met=ratio <= target,
    )
    return result


def first_gradient(name: str, backend: str | None) -> dict[str, Any]:
    """Medians over FRESH_PROCESSES fresh interpreters of the CHILD timings.

    Byte-code caching is on (into a private PYTHONPYCACHEPREFIX, so nothing is written into
    the tree) and filled by one uncounted process first: the timings are those of an
    installed package, not of compiling its sources.
    """
    runs = []
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "PYTHONPYCACHEPREFIX": cache}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        cmd = [sys.executable, "-c", CHILD, str(Path(__file__).resolve().parent), name]
        for _ in range(FRESH_PROCESSES + 1):
            proc = subprocess.run([*cmd, backend or ""], capture_output=True, text=True, env=env)
            if proc.returncode:
                print(f"{name}: fresh process FAILED\n{proc.stderr}", flush=True)
                return {"error": proc.stderr}
            runs.append(json.loads(proc.stdout.splitlines()[-1]))
    return {k: statistics.median(r[k] for r in runs[1:]) for k in FRESH_KEYS}


def row(label: str, *cells: str) -> None:
    print(f"{label:22s}" + "".join(f" {c:>10s}" for c in cells))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timing rounds (default 7)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="workload names or W-numbers")
    parser.add_argument(
        "--backend",
        default=None,
        help="an engine, or `all` for every built-in one (default: the default)",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results as JSON")
    opts = parser.parse_args(argv)
    if opts.repeats < 1:
        parser.error("--repeats must be at least 1")

    chosen: list[Any] = list(workloads.WORKLOADS)
    if opts.only:
        keys = {key.lower() for key in opts.only}
        chosen = [w for w in chosen if {w.name, w.label.split()[0].lower()} & keys]
        known = {k for w in chosen for k in (w.name, w.label.split()[0].lower())}
        if unknown := keys - known:
            parser.error(f"unknown workloads {sorted(unknown)}; see workloads.WORKLOADS")
    if opts.backend == "all":
        backends = BUILT_IN
        reports = {backend: run_in_own_process(backend, argv) for backend in backends}
    else:
        backends = [opts.backend or engine.default_backend()]
        reports = {backends[0]: run_backend(backends[0], chosen, opts.repeats)}
    if len(backends) > 1:
        print("\nratio engine/hand per engine (a forward-only engine's `jvp` marked `jvp`)")
        row("workload", *backends)
        for w in chosen:
            row(w.label, *(_cell(reports[b]["workloads"], w.name) for b in backends))
    if opts.json:
        opts.json.write_text(
            json.dumps(reports if len(backends) > 1 else reports[backends[0]], indent=2) + "\n"
        )
    failed = [f"{label} ({b})" for b, report in reports.items() for label in report["failed"]]
    if failed:
        print(f"\nFAILED (error or mismatch): {', '.join(failed)}")
    return 1 if failed else 0


def run_in_own_process(backend: str, argv: list[str] | None) -> dict[str, Any]:
    """`run_backend` in a fresh process (this script with `--backend backend`): one engine's
    allocations never slow the next one down (memory fragmentation, page faults)."""
    others = list(sys.argv[1:] if argv is None else argv)
    if "--backend" in others:
        i = others.index("--backend")
        del others[i : i + 2]
    if "--json" in others:
        i = others.index("--json")
        del others[i : i + 2]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        cmd = [sys.executable, __file__, *others, "--backend", backend, "--json", str(out)]
        subprocess.run(cmd, check=False)
        report: dict[str, Any] = json.loads(out.read_text())
    return report


def _cell(results: list[dict[str, Any]], name: str) -> str:
    found = next(r for r in results if r["name"] == name)
    if "error" in found:
        return "error"
    if found["mismatch"]:
        return "MISMATCH"
    return f"{found['ratio']:.2f}" + (" jvp" if found["measured"] == "jvp" else "")


def run_backend(backend: str, chosen: list[Any], repeats: int) -> dict[str, Any]:
    """Correctness, steady-state ratios and fresh-process times of one engine, printed and
    returned (with the labels of what failed)."""
    env = {
        "backend": backend,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "load_average_at_start": round(os.getloadavg()[0], 2),
    }
    print(", ".join(f"{k} {v}" for k, v in env.items()))

    results = [bench(w, backend, repeats) for w in chosen]
    print(f"\nsteady state, {repeats} rounds, median per call; ratio = engine/hand")
    row("workload", "measured", "engine ms", "hand ms", "ratio", "min", "max", "target", "met")
    for r in (r for r in results if "ratio" in r):
        ratios = (f"{r[k]:.2f}" for k in ("ratio", "ratio_min", "ratio_max"))
        times = (f"{r[k] * 1e3:.3f}" for k in ("engine_s", "hand_s"))
        met = "yes" if r["met"] else "NO"
        if r["measured"] == "jvp":
            measured, met = f"1 jvp of {r['coordinates']}", "-"
        else:
            measured = "gradient"
        row(r["label"], measured, *times, *ratios, f"{r['target']:g}x", met)

    labels = {w.name: w.label for w in chosen}
    fresh = {n: first_gradient(n, backend) for n in FIRST_GRADIENT_ON if n in labels}
    if fresh:
        print(f"\nfresh process, median of {FRESH_PROCESSES} processes (ms)")
        row("workload", "np+scipy", "engine", "1st grad", "2nd grad")
        for n, t in fresh.items():
            row(labels[n], *(f"{t[k] * 1e3:.3f}" if k in t else "FAILED" for k in FRESH_KEYS))
    print()
    failed = [r["label"] for r in results if "error" in r or r["mismatch"]]
    failed += [f"{labels[n]} (fresh process)" for n, t in fresh.items() if "error" in t]
    return {"env": env, "repeats": repeats, "workloads": results, "fresh": fresh, "failed": failed}


if __name__ == "__main__":
    sys.exit(main())
