"""Accuracy of the generated kernels (and PyTorch's) in ULP against mpmath.

    python benchmarks/accuracy.py [--dense N] [name ...]

Prints max ULP per activation, dtype (float32, float64) and order (f, f') over the grid of
:func:`symact.codegen.accuracy.grid`, with the point where the maximum occurs; PyTorch's figure
beside it when torch is importable. ``--params``: each parametrized activation at non-default parameter values (dyadic, so the
bound reference has exactly the kernel's doubles; values outside the domain skipped), the
kernel called with them as keywords. ``--dense N``: at N random points instead (seed 0; 3/4
uniform on [-10, 10], where the terms of most activations' sums are comparable, 1/4
log-uniform magnitudes of either sign from 1e-30 to 1e30), which finds maxima between grid
points. References are cached under $SYMACT_CACHE or
~/.cache/symact. ``symact build`` writes the same table to generated/accuracy.md.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np

import symact
from symact.codegen import accuracy


def dense_points(n: int, dtype: str) -> np.ndarray:
    rng = np.random.default_rng(0)
    k = n // 4
    mags = np.exp(rng.uniform(np.log(1e-30), np.log(1e30), k)) * rng.choice([-1.0, 1.0], k)
    return np.sort(np.concatenate([rng.uniform(-10.0, 10.0, n - k), mags]).astype(dtype))


def main(names: list[str], dense: int = 0) -> None:
    warnings.simplefilter("ignore")
    acts = [symact.get(n) for n in names] if names else [
        a for a in symact.activations() if not a.is_vector]
    misses = 0
    for act in acts:
        cells = []
        for dt in accuracy.DTYPES:
            for order in (0, 1):
                pts = dense_points(dense, dt) if dense else None
                err, at = accuracy.measure(act, order, dt, points=pts)
                misses += err > 4
                tfn = accuracy.torch_function(act, order)
                torch_cell = accuracy.fmt(accuracy.measure(act, order, dt, tfn, pts)[0]) \
                    if tfn else "-"
                label = "f " if order == 0 else "f'"
                cells.append(f"{dt[-2:]} {label}: "
                             f"{accuracy.fmt(err):>13s} @{at:<11.4g} torch {torch_cell:>13s}")
        print(f"{act.name:20s} " + " | ".join(cells), flush=True)
    print(f"{misses} (activation, dtype, order) cells above 4 ULP")


def param_sets(act, count: int = 4) -> list[dict]:
    """Up to ``count`` deterministic non-default parameter sets inside the domain: each
    parameter in turn at default x 3, x 3/8, x 25 and its negation (0 -> 3/8), rounded to 10
    bits."""
    out: list[dict] = []
    base = {k: float(v) for k, v in act.defaults.items()}
    for factor in (3.0, 0.375, 25.0, -1.0):
        for name in base:
            vals = dict(base)
            v = vals[name] * factor if vals[name] else 0.375 * factor
            vals[name] = round(v * 1024) / 1024 or v
            try:
                act.bind(**vals)
            except Exception:  # outside the domain (bind says why)
                continue
            if vals not in out and vals != base:
                out.append(vals)
    return out[:count]


def main_params(names: list[str]) -> None:
    warnings.simplefilter("ignore")
    acts = [symact.get(n) for n in names] if names else [
        a for a in symact.activations() if a.params and not a.is_vector]
    misses = total = 0
    for act in acts:
        for vals in param_sets(act):
            bound = act.bind(**vals)
            cells = []
            for dt in accuracy.DTYPES:
                pts = accuracy.grid(dt)
                for order in (0, 1):
                    refs = accuracy.references(bound, order, pts)
                    got = np.asarray(act.numpy(order)(pts.copy(), **vals), dtype=dt)
                    errs = accuracy.ulp_errors(got, refs, dt)
                    k = int(np.argmax(errs))
                    misses += errs[k] > 4
                    total += 1
                    label = "f " if order == 0 else "f'"
                    cells.append(f"{dt[-2:]} {label}: {accuracy.fmt(errs[k]):>9s} "
                                 f"@{pts[k]:<10.4g}")
            print(f"{act.name:17s} {vals} | " + " | ".join(cells), flush=True)
    print(f"{misses} of {total} (activation, parameters, dtype, order) cells above 4 ULP")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="*")
    ap.add_argument("--dense", type=int, default=0, metavar="N")
    ap.add_argument("--params", action="store_true")
    args = ap.parse_args()
    if args.params:
        main_params(args.names)
    else:
        main(args.names, args.dense)
