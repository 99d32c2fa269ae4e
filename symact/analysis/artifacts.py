"""Build stage: ``properties.json`` (every fact of every catalog entry) and ``properties.md``
(a Wikipedia-like comparison table). Deterministic: sorted keys, no timestamps."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable

import sympy as sp

from .. import catalog
from .engine import analyze_catalog
from .facts import Fact, Properties
from .text import show_value

COLUMNS = ("Name", "Equation", "Derivative", "Range", "Continuity", "Monotonic",
           "Derivative monotonic", "Identity near origin")


def _cell(fact: Fact, text: str | None = None) -> str:
    if fact.status == "unknown":
        return "?"
    body = text if text is not None else show_value(fact.value)
    return body + (" †" if fact.status == "numeric" else "")


def _code(e: sp.Basic) -> str:
    return "`" + sp.sstr(e).replace("|", "\\|") + "`"


def _continuity(fact: Fact) -> str:
    if fact.status == "unknown":
        return "?"
    v = fact.value
    text = "C^∞" if v == sp.oo else ("discontinuous" if v == -1 else f"C^{v}")
    return _cell(fact, text)


def _row(props: Properties) -> list[str]:
    act = catalog.get(props.name)
    return [
        f"`{props.name}`",
        _code(act.expr),
        _cell(props.derivative, _code(props.derivative.value)) if props.derivative.known
        else "?",
        _cell(props.range).replace("|", "\\|"),
        _continuity(props.continuity),
        _cell(props.monotonic),
        _cell(props.derivative_monotonic),
        _cell(props.identity_near_origin),
    ]


def markdown(results: dict) -> str:
    lines = ["# Activation properties", "",
             "Derived by `symact` from each activation's one SymPy definition (parameters at "
             "their defaults). † marks a numeric result (found by mpmath search, not proved); "
             "? marks an undecided one.", "",
             "| " + " | ".join(COLUMNS) + " |",
             "|" + "|".join("---" for _ in COLUMNS) + "|"]
    vectors = []
    for name in sorted(results):
        props = results[name]
        if isinstance(props, Properties):
            lines.append("| " + " | ".join(_row(props)) + " |")
        else:
            vectors.append(props)
    if vectors:
        lines += ["", "## Vector-valued activations", "",
                  "| Name | Jacobian | Shift invariant | On the simplex | Jacobian norm bound | "
                  "Scalar relative |", "|---|---|---|---|---|---|"]
        for v in vectors:
            lines.append("| " + " | ".join([
                f"`{v.name}`", _cell(v.jacobian), _cell(v.shift_invariance),
                _cell(v.simplex), _cell(v.jacobian_norm_bound), _cell(v.scalar_relation),
            ]).replace("\n", " ") + " |")
    lines += ["", "† numeric: located by high-precision numerical search (mpmath, at least 12 "
              "digits), not proved symbolically.", ""]
    return "\n".join(lines)


def write(out: pathlib.Path, report: Callable[[int, int, str], None]) -> list[pathlib.Path]:
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    results = analyze_catalog(jobs=2, report=report)
    data = {name: results[name].to_dict() for name in sorted(results)}
    jpath = out / "properties.json"
    jpath.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                     encoding="utf-8")
    mpath = out / "properties.md"
    mpath.write_text(markdown(results), encoding="utf-8")
    return [jpath, mpath]
