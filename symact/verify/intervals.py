"""Interval notation of range claims: ``(-alpha, oo)``, ``[0, 1]``, ``{0, 1}``, unions
with ``U``.

Ends are expressions (parsed by the safe parser; parameters take their bound values, ``oo`` is
infinity, ``∞``, ``−`` and ``π`` are accepted). An end that depends on ``x`` (``[0, x)``, as one
seed document writes relu's range) cannot describe a set; such a claim is read pointwise:
``0 <= f(x) < x`` for every real x.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from ..errors import ClaimError
from ..model import Activation, X


@dataclass(frozen=True)
class PointwiseBounds:
    """A "range" whose ends depend on x: ``lo <(=) f(x) <(=) hi`` for every x."""

    lo: sp.Expr
    hi: sp.Expr
    lo_open: bool
    hi_open: bool


def _split(body: str) -> list[str]:
    parts, depth, current = [], 0, []
    for ch in body:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts]


def normalise(text: str) -> str:
    return (text.replace("∞", "oo").replace("−", "-").replace("π", "pi")
            .replace("+oo", "oo").strip())


def parse_set(text: str, act: Activation) -> sp.Set | PointwiseBounds:
    """The set a range claim names, or pointwise bounds when an end depends on x."""
    from .claims import OO, parse

    body = normalise(text)
    pieces = [p.strip() for p in re.split(r"\s+U\s+|∪", body)]
    if len(pieces) > 1:
        parts = [parse_set(p, act) for p in pieces]
        if any(isinstance(p, PointwiseBounds) for p in parts):
            raise ClaimError(f"{text!r}: a union cannot have ends depending on x")
        return sp.Union(*parts)
    if len(body) < 2:
        raise ClaimError(f"{text!r} is not interval notation such as \"(0, 1]\" or \"{{0, 1}}\"")
    left, right, inner = body[0], body[-1], body[1:-1]
    if left == "{" and right == "}":
        items = [parse(p, act, what="element") for p in _split(inner) if p]
        if not items:
            raise ClaimError(f"{text!r}: empty set")
        for item in items:
            if item.free_symbols:
                raise ClaimError(f"{text!r}: element {item} is not a number")
        return sp.FiniteSet(*items)
    if left not in "([" or right not in ")]":
        raise ClaimError(f"{text!r} is not interval notation such as \"(0, 1]\" or \"{{0, 1}}\"")
    ends = _split(inner)
    if len(ends) != 2 or not all(ends):
        raise ClaimError(f"{text!r}: an interval has two ends separated by a comma")
    lo, hi = (parse(e, act, {"oo": OO}, what="interval end").subs(OO, sp.oo) for e in ends)
    lo_open, hi_open = left == "(", right == ")"
    for end, is_open in ((lo, lo_open), (hi, hi_open)):
        others = end.free_symbols - {X}
        if others:
            raise ClaimError(f"{text!r}: unknown symbol(s) {', '.join(sorted(map(str, others)))}")
        if end.has(sp.oo, -sp.oo, sp.zoo) and not is_open and end.is_number:
            raise ClaimError(f"{text!r}: an infinite end must be open")
    if lo.has(X) or hi.has(X):
        return PointwiseBounds(lo, hi, lo_open, hi_open)
    if lo.is_real is not True and lo not in (-sp.oo, sp.oo) or \
            hi.is_real is not True and hi not in (-sp.oo, sp.oo):
        raise ClaimError(f"{text!r}: the ends must be real numbers")
    if bool(lo > hi):
        raise ClaimError(f"{text!r}: the lower end exceeds the upper end")
    return sp.Interval(lo, hi, lo_open, hi_open)


def show(s: sp.Set | PointwiseBounds) -> str:
    """Interval notation for a SymPy set (``[0, oo)``, ``(0, 1)``, ``{-1, 0, 1}``)."""
    from .numeric import fmt

    if isinstance(s, PointwiseBounds):
        return (f"{'(' if s.lo_open else '['}{fmt(s.lo)}, {fmt(s.hi)}"
                f"{')' if s.hi_open else ']'}")
    if isinstance(s, sp.Interval):
        return (f"{'(' if s.left_open else '['}{fmt(s.start)}, {fmt(s.end)}"
                f"{')' if s.right_open else ']'}")
    if isinstance(s, sp.FiniteSet):
        return "{" + ", ".join(fmt(e) for e in sorted(s.args, key=float)) + "}"
    if isinstance(s, sp.Union):
        return " U ".join(show(a) for a in s.args)
    if s == sp.S.Reals:
        return "(-oo, oo)"
    return str(s)
