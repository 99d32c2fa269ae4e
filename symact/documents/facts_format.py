"""Derived facts (:class:`symact.analysis.Fact`) as inline parts of the formula sheet."""

from __future__ import annotations

import re
from typing import Any

import sympy as sp

from ..analysis.facts import Periodic
from ..model import X
from .doc import Marked, Math, Text
from .printer import to_latex

F = sp.Symbol("f", real=True)

#: Exact values longer than this (LaTeX characters) are shown by their decimal value only.
MAX_EXACT = 160

#: Longer lists are shown by their first and last items.
MAX_ITEMS = 8

MONOTONIC_WORDS = {
    "increasing": "increasing", "non-decreasing": "non-decreasing", "decreasing": "decreasing",
    "non-increasing": "non-increasing", "none": "not monotonic",
}


def _is_number(v: Any) -> bool:
    return isinstance(v, sp.Basic) and v.is_number and not isinstance(v, sp.Set)


def number_tex(v: sp.Expr, named: bool = True, full: bool = False) -> str:
    """An exact number, with its decimal value when it is not a small rational.

    ``named=False`` prints a named constant by its value (for its own definition); ``full``
    prints the exact form however long, with 16 significant digits.
    """
    if v in (sp.oo, -sp.oo, sp.zoo, sp.nan):
        return to_latex(v)
    if isinstance(v, (sp.Integer, sp.Rational)) and len(str(v)) <= 12:
        return to_latex(v)
    try:
        approx = sp.N(v, 20)
    except (TypeError, ValueError):
        return to_latex(v)
    if not approx.is_real:
        return to_latex(v)
    dec = f"{float(approx):.16g}" if full else f"{float(approx):.6g}"
    exact = to_latex(v, named=named)
    if isinstance(v, sp.Float) or (len(exact) > MAX_EXACT and not full):
        return rf"\approx {dec}" if not isinstance(v, sp.Float) else dec
    return rf"{exact} \approx {dec}"


def value_tex(v: Any) -> str:
    """LaTeX of one property value (SymPy object, number, bool, container, text)."""
    if v is None:
        return r"\text{none}"
    if isinstance(v, bool) or v is sp.true or v is sp.false:
        return r"\text{yes}" if bool(v) else r"\text{no}"
    if isinstance(v, (int, float)):
        return number_tex(sp.sympify(v))
    if isinstance(v, str):
        if v in ("oo", "-oo"):
            return to_latex(sp.sympify(v))
        return text_tex(v)
    if _is_number(v):
        return number_tex(v)
    if isinstance(v, Periodic):
        return periodic_tex(v)
    if isinstance(v, (list, tuple)):
        if not v:
            return r"\text{none}"
        if len(v) == 2 and all(_is_number(t) for t in v) and isinstance(v, tuple):
            return rf"\left({value_tex(v[0])}, {value_tex(v[1])}\right)"
        if len(v) > MAX_ITEMS:  # e.g. numeric roots of an oscillating tail
            head = ", ".join(value_tex(t) for t in v[:3])
            tail = ", ".join(value_tex(t) for t in v[-2:])
            return rf"{head}, \ldots, {tail}\ \text{{({len(v)} in all)}}"
        return ", ".join(value_tex(t) for t in v)
    if isinstance(v, dict):
        return r",\ ".join(rf"{text_tex(str(k))}: {value_tex(val)}" for k, val in v.items())
    if isinstance(v, sp.Basic):
        tex = to_latex(v, x=X)
        return tex
    return text_tex(str(v))


def periodic_tex(v: Periodic) -> str:
    """``base + k T`` for k in Z: (a + kT, b + kT) for an interval, p + kT for a point."""
    k = sp.Symbol("k", integer=True)
    shift = v.period * k
    if isinstance(v.base, sp.Interval):
        a, b = (to_latex(sp.Add(e, shift, evaluate=True)) for e in (v.base.start, v.base.end))
        return rf"\left({a}, {b}\right),\ k \in \mathbb{{Z}}"
    return rf"{to_latex(v.base + shift)},\ k \in \mathbb{{Z}}"


def text_tex(text: str) -> str:
    """Text inside math, with LaTeX's special characters escaped."""
    from .doc import tex_escape

    return r"\text{" + tex_escape(text) + "}"


def _where(at: Any) -> str:
    """The location(s) of a value: x = p, x in S, or x tending to an infinity."""
    if isinstance(at, str):
        return r"x \to " + value_tex(at)
    items = at if isinstance(at, (list, tuple)) else [at]
    parts = []
    for item in items:
        if isinstance(item, sp.Set):
            parts.append(r"x \in " + to_latex(item))
        elif isinstance(item, str):
            parts.append(r"x \to " + value_tex(item))
        else:
            parts.append("x = " + value_tex(item))
    return r",\ ".join(parts)


def marked(parts: list, status: str) -> list:
    """Wrap parts by status: numeric results carry a dagger, unknown ones a question mark."""
    if status == "proved":
        return parts
    return [Marked(tuple(parts), status)]


def fact_parts(name: str, fact: Any, mark: bool = True, short: bool = False) -> list:
    """A fact as inline parts, formatted per property (see :class:`Properties`).

    With ``mark``, numeric results carry a dagger and unknown ones a question mark; ``short``
    is the summary table's terse form.
    """
    if fact is None:
        return [Text("not derived")]
    if fact.status == "unknown":
        text = Text("unknown" + (f": {fact.method}" if fact.method else ""))
        return [Marked((text,), "unknown")] if mark else [text]
    v = fact.value
    try:
        parts = _format(name, v, short)
    except Exception as exc:  # a value of an unexpected shape: print it plainly, say so
        parts = [Text(f"{v!s} (unformatted: {type(exc).__name__})")]
    return marked(parts, fact.status) if mark else parts


def _interval_list(v: Any) -> str:
    if not v:
        return r"\text{none}"
    return r" \cup ".join(periodic_tex(i) if isinstance(i, Periodic) else to_latex(i) for i in v)


def _format(name: str, v: Any, short: bool = False) -> list:
    if name == "limits" and isinstance(v, dict):
        items = []
        for key, val in v.items():
            if key == "-oo":
                items.append(rf"\lim_{{x\to-\infty}} f = {value_tex(val)}")
            elif key == "oo":
                items.append(rf"\lim_{{x\to\infty}} f = {value_tex(val)}")
            elif key.endswith(("-", "+")):
                p = sp.sympify(key[:-1])
                items.append(rf"f({to_latex(p)}^{key[-1]}) = {value_tex(val)}")
        return [Math(r",\quad ".join(items))]
    if name in ("monotonic", "derivative_monotonic") and isinstance(v, str):
        return [Text(MONOTONIC_WORDS.get(v, v))]
    if name in ("monotonic_intervals", "derivative_monotonic_intervals", "convexity") \
            and isinstance(v, dict):
        parts: list = []
        for key, intervals in v.items():
            if not intervals:
                continue
            if parts:
                parts.append(Text("; "))
            parts += [Text(f"{key} on "), Math(_interval_list(intervals))]
        return parts or [Text("none")]
    if name == "parity" and isinstance(v, str):
        return [Text(v)]
    if name == "symmetry" and isinstance(v, dict):
        parts = []
        if v.get("point") is not None:
            a, b = v["point"]
            parts += [Text("point symmetric about "),
                      Math(rf"\left({value_tex(a)}, {value_tex(b)}\right)")]
        if v.get("axis") is not None:
            parts += [Text("; " if parts else ""), Text("mirror symmetric about "),
                      Math(f"x = {value_tex(v['axis'])}")]
        return parts or [Text("none")]
    if name == "continuity":
        if v == -1:  # Wikipedia's C^{-1}
            return [Math("C^{-1}")] if short else [Math("C^{-1}"), Text(" (discontinuous)")]
        k = r"\infty" if v in (sp.oo, "oo") else str(v)
        return [Math(f"C^{{{k}}}")]
    if name == "identity_near_origin":
        return [Text("yes" if v else "no")]
    if name == "max_gradient" and isinstance(v, dict):
        parts = [Math(r"\sup \lvert f' \rvert = " + value_tex(v.get("value")))]
        at = v.get("at")
        if at not in (None, [], ()):
            parts += [Text(" at "), Math(_where(at))]
        return parts
    if name == "init_gain" and v is not None:
        return [Math(r"1/\sqrt{\mathbb{E}[f(Z)^2]} = " + value_tex(v))]
    if name == "values_at_zero" and isinstance(v, dict):
        return [Math(r",\quad ".join(f"{k}(0) = {value_tex(val)}" for k, val in v.items()))]
    if name == "asymptotes" and isinstance(v, dict):
        items = []
        for key, val in v.items():
            side = r"-\infty" if key == "-oo" else r"\infty"
            shown = r"\text{none}" if val is None else "y = " + value_tex(val)
            items.append(rf"x \to {side}\colon {shown}")
        return [Math(r",\quad ".join(items))]
    if name == "jacobian" and isinstance(v, dict) and "closed_form" in v:
        parts = [Text(str(v["closed_form"]))]
        checked = sorted(k[1:] for k in v if re.fullmatch(r"n\d+", str(k)))
        if checked:
            parts.append(Text(f" (checked on the n = {', '.join(checked)} matrix)"))
        return parts
    if name == "gaussian_moments" and isinstance(v, dict):
        names = {"E[f]": r"\mathbb{E}[f(Z)]", "E[f^2]": r"\mathbb{E}[f(Z)^2]",
                 "E[f'^2]": r"\mathbb{E}[f'(Z)^2]"}
        items = [f"{names.get(k, k)} = {value_tex(val)}" for k, val in v.items()]
        return [Math(r",\quad ".join(items))]
    if name in ("bounded", "saturation") and isinstance(v, dict):
        words = {"above": "above", "below": "below", "-oo": "at -inf", "oo": "at +inf"}
        yes = [words.get(k, k) for k, val in v.items() if val]
        no = [words.get(k, k) for k, val in v.items() if not val]
        text = []
        if yes:
            text.append(("bounded " if name == "bounded" else "saturates ") + " and ".join(yes))
        if no:
            text.append(("unbounded " if name == "bounded" else "does not saturate ")
                        + " and ".join(no))
        return [Text("; ".join(text))]
    if name == "range" and isinstance(v, sp.Set):
        return [Math(to_latex(v))]
    if name == "derivative_through_output" and isinstance(v, sp.Basic):
        return [Math("f'= " + to_latex(v))]
    if name == "parameter_conditions" and isinstance(v, dict):
        if not v:
            return [Text("none")]
        return [Text("; ".join(f"{k}: {val}" for k, val in v.items()))]
    if name == "extrema" and isinstance(v, list):
        if not v:
            return [Text("none")]
        k = sp.Symbol("k", integer=True)
        items = []
        for e in v:
            at = e.get("x")
            where = to_latex(at.base + at.period * k) if isinstance(at, Periodic) \
                else value_tex(at)
            items.append(rf"\text{{{e.get('kind', '')}}}\ f({where}) = {value_tex(e.get('f'))}")
        tail = r",\ k \in \mathbb{Z}" if any(isinstance(e.get("x"), Periodic) for e in v) else ""
        return [Math(r",\quad ".join(items) + tail)]
    if name in ("dead_zones",) and isinstance(v, list):
        return [Math(_interval_list(v))] if v else [Text("none")]
    if v is None or (isinstance(v, (list, tuple, dict)) and not v):
        return [Text("none")]
    if isinstance(v, str) and v not in ("oo", "-oo"):
        return [Text(v)]
    return [Math(value_tex(v))]
