"""Accuracy of the generated kernels (and PyTorch's) in ULP against mpmath.

    python benchmarks/accuracy.py [name ...]

Prints max ULP per activation, dtype (float32, float64) and order (f, f') over the grid of
:func:`symact.codegen.accuracy.grid`, with the point where the maximum occurs; PyTorch's figure
beside it when torch is importable. References are cached under $SYMACT_CACHE or
~/.cache/symact. ``symact build`` writes the same table to generated/accuracy.md.
"""

from __future__ import annotations

import sys
import warnings

import symact
from symact.codegen import accuracy


def main(names: list[str]) -> None:
    warnings.simplefilter("ignore")
    acts = [symact.get(n) for n in names] if names else [
        a for a in symact.activations() if not a.is_vector]
    misses = 0
    for act in acts:
        cells = []
        for dt in accuracy.DTYPES:
            for order in (0, 1):
                err, at = accuracy.measure(act, order, dt)
                misses += err > 4
                tfn = accuracy.torch_function(act, order)
                torch_cell = accuracy.fmt(accuracy.measure(act, order, dt, tfn)[0]) if tfn else "-"
                label = "f " if order == 0 else "f'"
                cells.append(f"{dt[-2:]} {label}: "
                             f"{accuracy.fmt(err):>13s} @{at:<11.4g} torch {torch_cell:>13s}")
        print(f"{act.name:20s} " + " | ".join(cells), flush=True)
    print(f"{misses} (activation, dtype, order) cells above 4 ULP")


if __name__ == "__main__":
    main(sys.argv[1:])
