"""Plot data for the formula sheet: f and f' sampled honestly, drawn by pgfplots or as SVG.

Values come from the generated NumPy kernels (``act.numpy(order)``) when they exist, else from a
high-precision mpmath evaluation of the SymPy expression; :attr:`PlotData.source` says which.
Series are split at every breakpoint of the definition (and wherever a value is not finite), so
no line is ever drawn across a jump; at a breakpoint where f is discontinuous, the value at the
point is drawn as a filled dot and the one-sided limits that differ from it as open circles.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy as sp
from sympy.core.relational import Relational

from ..model import Activation

Series = list[list[tuple[float, float]]]  # segments of (x, y) points

#: The plotted interval is [-HALF_WIDTH, HALF_WIDTH] unless a breakpoint lies further out.
HALF_WIDTH = 4.0
STEP = 0.05
#: Offset used to sample the one-sided limits at a breakpoint.
DELTA = 1e-9


@dataclass
class Curve:
    label: str  # "f" or "f'"
    segments: Series
    dots: list[tuple[float, float]] = field(default_factory=list)  # value at a jump
    circles: list[tuple[float, float]] = field(default_factory=list)  # one-sided limits


@dataclass
class PlotData:
    name: str
    xmin: float
    xmax: float
    ymin: float
    ymax: float
    curves: list[Curve]
    source: str  # where the values come from, in words
    caption: str = ""


# ------------------------------------------------------------------ evaluation
def mpmath_function(expr: sp.Expr, x: sp.Symbol) -> Callable[[np.ndarray], np.ndarray]:
    """``expr`` evaluated point by point with mpmath (NaN where it is not real or fails)."""
    f = sp.lambdify(x, expr, modules=["mpmath"])

    def evaluate(values: np.ndarray) -> np.ndarray:
        out = np.empty(len(values))
        for i, v in enumerate(values):
            try:
                r = complex(f(float(v)))
                out[i] = r.real if abs(r.imag) <= 1e-12 * max(1.0, abs(r.real)) else math.nan
            except (ZeroDivisionError, ValueError, OverflowError, TypeError):
                out[i] = math.nan
        return out

    return evaluate


def evaluators(act: Activation, derivative: sp.Expr | None = None
               ) -> tuple[list[Callable], str]:
    """Vectorised f and f' of ``act`` at its default parameters, and the source of the values.

    The generated kernels take the catalog defaults for parameters not passed, so the kernels
    of the symbolic activation are used (and shared with the kernel rendering); ``derivative``
    (parameters free) serves the mpmath fallback.
    """
    try:
        kernels = [act.numpy(order=0), act.numpy(order=1)]
        probe = np.linspace(-1.0, 1.0, 5)
        for k in kernels:
            if np.asarray(k(probe)).shape != probe.shape:
                raise ValueError("kernel returned the wrong shape")
        return [lambda v, k=k: np.asarray(k(v), dtype=float) for k in kernels], \
            "values from the generated NumPy kernels (f and f')"
    except Exception as exc:  # any failure of the kernel path falls back, and says so
        reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:120]
    bound = act.with_defaults()
    d = derivative if derivative is not None else sp.diff(act.expr, act.x)
    d = d.subs({act.params[k]: v for k, v in bound.bound.items() if k in act.params})
    funcs = [mpmath_function(bound.expr, act.x), mpmath_function(d, act.x)]
    return funcs, f"values from mpmath on the SymPy expressions (NumPy kernels unavailable: {reason})"


# ------------------------------------------------------------------ breakpoints
def breakpoints(exprs: Sequence[sp.Expr], x: sp.Symbol) -> list[float]:
    """Real points where a Piecewise condition, |.| or sign(.) of ``exprs`` switches."""
    found: set[float] = set()
    for expr in exprs:
        candidates: list[sp.Expr] = []
        for pw in expr.atoms(sp.Piecewise):
            for _value, cond in pw.args:
                for rel in cond.atoms(Relational):
                    if rel.has(x):
                        candidates.append(rel.lhs - rel.rhs)
        for fn in expr.atoms(sp.Abs, sp.sign, sp.Heaviside, sp.Max, sp.Min):
            if isinstance(fn, (sp.Max, sp.Min)):
                a = fn.args
                candidates.extend(a[i] - a[j] for i in range(len(a)) for j in range(i + 1, len(a)))
            else:
                candidates.append(fn.args[0])
        for c in candidates:
            if c.free_symbols != {x}:
                continue
            poly = sp.Poly(c, x) if c.is_polynomial(x) else None
            if poly is None or poly.degree() > 2:
                continue
            for root in sp.roots(poly, filter="R"):
                if root.is_real:
                    found.add(float(root))
    return sorted(found)


# ------------------------------------------------------------------ sampling
def _grid(lo: float, hi: float) -> np.ndarray:
    """Grid points strictly inside (lo, hi), plus points DELTA inside each end."""
    n = max(2, int(math.ceil((hi - lo) / STEP)))
    inner = np.linspace(lo, hi, n + 1)[1:-1]
    ends = [lo + DELTA * max(1.0, abs(lo)), hi - DELTA * max(1.0, abs(hi))]
    return np.unique(np.concatenate([[ends[0]], inner, [ends[1]]]))


def _split_finite(xs: np.ndarray, ys: np.ndarray) -> Series:
    segments: Series = []
    current: list[tuple[float, float]] = []
    for xv, yv in zip(xs.tolist(), ys.tolist(), strict=True):
        if math.isfinite(yv):
            current.append((xv, yv))
        elif current:
            segments.append(current)
            current = []
    if current:
        segments.append(current)
    return segments


def _close(a: float, b: float) -> bool:
    if not (math.isfinite(a) and math.isfinite(b)):
        return a == b
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def sample(name: str, funcs: Sequence[Callable], points: Sequence[float], source: str,
           labels: Sequence[str] = ("f", "f'")) -> PlotData:
    """Sample ``funcs`` on the plotted interval, split at ``points``; choose the axis ranges."""
    far = max((abs(p) for p in points), default=0.0)
    half = min(max(HALF_WIDTH, math.ceil(far * 1.5)), 12.0)
    xmin, xmax = -half, half
    inside = [p for p in points if xmin < p < xmax]
    edges = [xmin, *inside, xmax]
    curves = []
    finite_values: list[float] = []
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for func, label in zip(funcs, labels, strict=True):
            curve = Curve(label, [])
            for lo, hi in zip(edges[:-1], edges[1:], strict=True):
                xs = _grid(lo, hi)
                ys = np.asarray(func(xs), dtype=float)
                curve.segments.extend(_split_finite(xs, ys))
                finite_values.extend(float(v) for v in ys if math.isfinite(v))
            for p in inside:
                left, at, right = (float(v) for v in np.asarray(
                    func(np.array([p - DELTA * max(1.0, abs(p)), p,
                                   p + DELTA * max(1.0, abs(p))])), dtype=float))
                if _close(left, right) and _close(left, at):
                    continue  # continuous here: the segments meet
                if math.isfinite(at):
                    curve.dots.append((p, at))
                for limit in (left, right):
                    if math.isfinite(limit) and not _close(limit, at):
                        curve.circles.append((p, limit))
            curves.append(curve)
    lo = min(finite_values, default=-1.0)
    hi = max(finite_values, default=1.0)
    lo, hi = max(lo, -6.0), min(hi, 6.0)
    if hi - lo < 1.0:
        mid = (hi + lo) / 2
        lo, hi = mid - 0.5, mid + 0.5
    pad = 0.08 * (hi - lo)
    return PlotData(name, xmin, xmax, _nice(lo - pad, down=True), _nice(hi + pad, down=False),
                    curves, source)


def _nice(v: float, down: bool) -> float:
    return math.floor(v * 4) / 4 if down else math.ceil(v * 4) / 4


# ------------------------------------------------------------------ output formats
def _fmt(v: float) -> str:
    text = f"{v:.5f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _clamp(y: float, plot: PlotData) -> float:
    span = plot.ymax - plot.ymin
    return min(max(y, plot.ymin - 20 * span), plot.ymax + 20 * span)


COLORS = {"f": ("fcolor", "#1f5fa8"), "f'": ("dcolor", "#c8501e")}


def pgfplots(plot: PlotData) -> str:
    """A pgfplots ``tikzpicture`` of the curves (coordinates inline)."""
    lines = [
        r"\begin{tikzpicture}",
        r"\begin{axis}[symactplot, "
        f"xmin={_fmt(plot.xmin)}, xmax={_fmt(plot.xmax)}, "
        f"ymin={_fmt(plot.ymin)}, ymax={_fmt(plot.ymax)}]",
    ]
    for curve in plot.curves:
        color = COLORS.get(curve.label, ("black", "#000000"))[0]
        style = "dashed" if curve.label != "f" else "solid"
        for i, seg in enumerate(curve.segments):
            legend = "" if i == 0 else ", forget plot"
            coords = " ".join(f"({_fmt(x)},{_fmt(_clamp(y, plot))})" for x, y in seg)
            lines.append(rf"\addplot[{color}, thick, {style}{legend}] coordinates {{{coords}}};")
            if i == 0:
                label = "$f$" if curve.label == "f" else "$f'$"
                lines.append(rf"\addlegendentry{{{label}}}")
        if curve.dots:
            coords = " ".join(f"({_fmt(x)},{_fmt(y)})" for x, y in curve.dots)
            lines.append(rf"\addplot[{color}, only marks, mark=*, mark size=1.6pt, forget plot] "
                         f"coordinates {{{coords}}};")
        if curve.circles:
            coords = " ".join(f"({_fmt(x)},{_fmt(y)})" for x, y in curve.circles)
            lines.append(rf"\addplot[{color}, only marks, mark=*, mark size=1.6pt, "
                         rf"mark options={{fill=white}}, forget plot] coordinates {{{coords}}};")
    lines += [r"\end{axis}", r"\end{tikzpicture}"]
    return "\n".join(lines)


def _ticks(lo: float, hi: float) -> list[float]:
    span = hi - lo
    step = 1.0 if span <= 10 else 2.0 if span <= 20 else 5.0
    start = math.ceil(lo / step) * step
    out = []
    v = start
    while v <= hi + 1e-9:
        out.append(round(v, 6))
        v += step
    return out


def svg(plot: PlotData, width: int = 480, height: int = 300) -> str:
    """A small, deterministic SVG of the curves (no timestamps, fixed number formatting)."""
    ml, mr, mt, mb = 36, 12, 12, 26
    pw, ph = width - ml - mr, height - mt - mb

    def sx(x: float) -> float:
        return ml + (x - plot.xmin) / (plot.xmax - plot.xmin) * pw

    def sy(y: float) -> float:
        y = _clamp(y, plot)
        return mt + (plot.ymax - y) / (plot.ymax - plot.ymin) * ph

    def n(v: float) -> str:
        text = f"{v:.2f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f"<title>{plot.name}: f and f'</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>',
        f'<clipPath id="area"><rect x="{ml}" y="{mt}" width="{pw}" height="{ph}"/></clipPath>',
    ]
    for t in _ticks(plot.xmin, plot.xmax):
        out.append(f'<line x1="{n(sx(t))}" y1="{mt}" x2="{n(sx(t))}" y2="{mt + ph}" '
                   'stroke="#e4e4e4"/>')
        out.append(f'<text x="{n(sx(t))}" y="{height - 8}" text-anchor="middle">{_fmt(t)}</text>')
    for t in _ticks(plot.ymin, plot.ymax):
        out.append(f'<line x1="{ml}" y1="{n(sy(t))}" x2="{ml + pw}" y2="{n(sy(t))}" '
                   'stroke="#e4e4e4"/>')
        out.append(f'<text x="{ml - 4}" y="{n(sy(t) + 4)}" text-anchor="end">{_fmt(t)}</text>')
    if plot.ymin < 0 < plot.ymax:
        out.append(f'<line x1="{ml}" y1="{n(sy(0))}" x2="{ml + pw}" y2="{n(sy(0))}" '
                   'stroke="#888"/>')
    if plot.xmin < 0 < plot.xmax:
        out.append(f'<line x1="{n(sx(0))}" y1="{mt}" x2="{n(sx(0))}" y2="{mt + ph}" '
                   'stroke="#888"/>')
    out.append(f'<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="none" stroke="#444"/>')
    out.append('<g clip-path="url(#area)" fill="none" stroke-width="1.8">')
    for curve in plot.curves:
        color = COLORS.get(curve.label, ("black", "#000000"))[1]
        dash = ' stroke-dasharray="6 3"' if curve.label != "f" else ""
        for seg in curve.segments:
            pts = " ".join(f"{n(sx(x))},{n(sy(y))}" for x, y in seg)
            out.append(f'<polyline points="{pts}" stroke="{color}"{dash}/>')
    out.append("</g>")
    for curve in plot.curves:
        color = COLORS.get(curve.label, ("black", "#000000"))[1]
        for x, y in curve.dots:
            if plot.ymin <= y <= plot.ymax:
                out.append(f'<circle cx="{n(sx(x))}" cy="{n(sy(y))}" r="3" fill="{color}"/>')
        for x, y in curve.circles:
            if plot.ymin <= y <= plot.ymax:
                out.append(f'<circle cx="{n(sx(x))}" cy="{n(sy(y))}" r="3" fill="white" '
                           f'stroke="{color}" stroke-width="1.5"/>')
    lx = ml + 10
    for i, curve in enumerate(plot.curves):
        color = COLORS.get(curve.label, ("black", "#000000"))[1]
        dash = ' stroke-dasharray="6 3"' if curve.label != "f" else ""
        y = mt + 14 + 16 * i
        out.append(f'<line x1="{lx}" y1="{y}" x2="{lx + 22}" y2="{y}" stroke="{color}" '
                   f'stroke-width="1.8"{dash}/>')
        out.append(f'<text x="{lx + 28}" y="{y + 4}">{curve.label}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
