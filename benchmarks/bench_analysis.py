"""Benchmark: analyse the whole catalog cold (empty cache) and warm (from the disk cache).

Targets on a 2-core machine: <= 120 s cold, <= 2 s warm.

    python benchmarks/bench_analysis.py [--jobs 2] [--budget 20]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--budget", type=float, default=20.0)
    args = parser.parse_args(argv)

    import symact
    from symact.analysis import analyze_catalog

    n = len(symact.names())
    with tempfile.TemporaryDirectory(prefix="symact-bench-") as cache:
        start = time.perf_counter()
        cold = analyze_catalog(jobs=args.jobs, cache_dir=cache, budget=args.budget)
        t_cold = time.perf_counter() - start
        start = time.perf_counter()
        warm = analyze_catalog(jobs=args.jobs, cache_dir=cache, budget=args.budget)
        t_warm = time.perf_counter() - start
    assert set(cold) == set(warm)
    statuses = {"proved": 0, "numeric": 0, "unknown": 0}
    for props in cold.values():
        for fact in props.facts().values():
            statuses[fact.status] += 1
    print(f"activations: {n}, jobs: {args.jobs}, budget per step: {args.budget:g} s")
    print(f"cold (empty cache): {t_cold:7.2f} s   target <= 120 s")
    print(f"warm (disk cache):  {t_warm:7.2f} s   target <= 2 s")
    print("facts: " + ", ".join(f"{v} {k}" for k, v in statuses.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
