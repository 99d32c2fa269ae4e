"""The formula sheet's content: a summary table and one section per activation.

:func:`prepare` gathers everything one activation needs (derivatives, properties, plot data, the
rendered kernels); :func:`build_document` lays the entries out as a :class:`~.doc.Document`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from ..model import Activation, X
from . import plots
from .doc import Code, Display, Document, Figure, Heading, Items, Link, Math, Para, Raw, Table, Text
from .facts_format import F, fact_parts, number_tex
from .kernelmath import KernelMath, kernel_math
from .printer import named_constants, param_latex, to_latex
from .sources import Derived, derive

#: Formulas longer than this (visible LaTeX characters) are not repeated in the summary table.
SUMMARY_MAX = 22
#: Display formulas longer than this are broken into lines at their top-level terms.
LINE_MAX = 75

#: Scalar properties shown in each section: (field of Properties, label).
SCALAR_ROWS: tuple[tuple[str, str], ...] = (
    ("limits", "limits"),
    ("range", "range"),
    ("parity", "parity"),
    ("symmetry", "symmetry"),
    ("odd_even_identity", "f(x) - f(-x)"),
    ("monotonic", "monotonicity"),
    ("monotonic_intervals", "monotonic on"),
    ("derivative_monotonic", "monotonicity of f'"),
    ("continuity", "continuity class"),
    ("nondifferentiable_points", "f' does not exist at"),
    ("identity_near_origin", "identity near origin"),
    ("values_at_zero", "values at 0"),
    ("bounded", "bounded"),
    ("saturation", "saturation"),
    ("asymptotes", "asymptotes"),
    ("max_gradient", "largest slope"),
    ("dead_zones", "dead zones (f' = 0)"),
    ("extrema", "extrema"),
    ("critical_points", "critical points"),
    ("inflection_points", "inflection points"),
    ("convexity", "convexity"),
    ("fixed_points", "fixed points f(x) = x"),
    ("taylor", "Taylor polynomial at 0"),
    ("gaussian_moments", "Gaussian moments (Z standard normal)"),
    ("init_gain", "initialisation gain"),
    ("torch_gain", "torch.nn.init.calculate_gain"),
    ("parameter_conditions", "conditions on parameters"),
)

VECTOR_ROWS: tuple[tuple[str, str], ...] = (
    ("jacobian", "Jacobian"),
    ("shift_invariance", "invariant under x + c 1"),
    ("simplex", "outputs on the simplex"),
    ("jacobian_norm_bound", "bound on the Jacobian norm"),
    ("scalar_relation", "scalar relative"),
)

#: How a vector activation is plotted: its first output along a line in input space.
VECTOR_LINES: dict[str, tuple[str, object]] = {
    "glu": ("first output of glu on the input (a, b) = (x, x), n = 2",
            lambda x: [x, x]),
}
_DEFAULT_LINE = ("first output on the input (x, 0), n = 2", lambda x: [x, 0])


@dataclass
class Entry:
    act: Activation
    derived: Derived
    plot: plots.PlotData
    kernels: list[KernelMath]
    image: str  # plot image path, relative to the Markdown file


def visible_length(tex: str) -> int:
    """Rough printed width of a LaTeX formula, in characters (a cases block: its widest row)."""
    cases = re.search(r"\\begin\{cases\}(.*?)\\end\{cases\}", tex, flags=re.S)
    if cases:
        rows = cases.group(1).split(r"\\")
        widest = max(visible_length(r) for r in rows)
        rest = tex[:cases.start()] + tex[cases.end():]
        return widest + visible_length(rest) + 1
    t = re.sub(r"\\(left|right|mathopen|mathclose)\b", "", tex)
    t = re.sub(r"\\operatorname\{(\w+)\}", r"\1", t)
    t = re.sub(r"\\[a-zA-Z]+", "x", t)
    return len(re.sub(r"[{}\s^_]", "", t))


def split_lines(expr: sp.Expr, x: sp.Symbol | None) -> list[str] | None:
    """A long sum as lines of signed terms (each at most about LINE_MAX wide), else None."""
    from .printer import ActivationLatexPrinter, display_form

    if visible_length(to_latex(expr, x=x)) <= LINE_MAX:
        return None
    shown = display_form(expr)
    if isinstance(shown, sp.Mul):  # c (a + b + ...) -> c a + c b + ... (exact)
        shown = sp.expand(shown, deep=False, mul=True, multinomial=False, power_exp=False,
                          power_base=False, log=False)
    if not isinstance(shown, sp.Add):
        return None
    printer = ActivationLatexPrinter(x=x)
    terms = [printer.doprint(t) for t in printer._as_ordered_terms(shown)]
    lines: list[str] = []
    current = ""
    for i, t in enumerate(terms):
        piece = t if i == 0 else (f"- {t[1:].lstrip()}" if t.startswith("-") else f"+ {t}")
        if current and visible_length(current + piece) > LINE_MAX:
            lines.append(current)
            current = piece
        else:
            current = f"{current} {piece}".strip()
    lines.append(current)
    return lines if len(lines) > 1 else None


# ------------------------------------------------------------------ data


def plot_data(act: Activation, derived: Derived) -> plots.PlotData:
    """f and f' sampled at the default parameters (see :mod:`.plots`)."""
    if act.is_vector:
        bound = act.with_defaults()
        caption, line = VECTOR_LINES.get(act.name, _DEFAULT_LINE)
        xs, out = bound.vector.build(2)
        point = line(X)
        expr = out[0].subs(dict(zip(xs, point, strict=True)))
        d = sp.diff(expr, X)
        funcs = [plots.mpmath_function(expr, X), plots.mpmath_function(d, X)]
        data = plots.sample(act.name, funcs, plots.breakpoints([expr, d], X),
                            "values from mpmath on the SymPy components")
        data.caption = caption + "; f' is the derivative along that line"
        return data
    bound = act.with_defaults()
    d1 = derived.derivatives.get(1)
    funcs, source = plots.evaluators(act, d1)
    subs = {act.params[k]: v for k, v in bound.bound.items() if k in act.params}
    exprs = [bound.expr] + ([d1.subs(subs)] if d1 is not None else [])
    return plots.sample(act.name, funcs, plots.breakpoints(exprs, bound.x), source)


def prepare(act: Activation, with_properties: bool = True, with_kernels: bool = True,
            known_properties=None) -> Entry:
    """Everything the sheet shows about ``act``; ``known_properties``: (props, note) if known."""
    derived = derive(act, with_properties=with_properties, known=known_properties)
    plot = plot_data(act, derived)
    kernels = [kernel_math(act, order) for order in (0, 1)] if with_kernels else []
    return Entry(act, derived, plot, kernels, f"plots/{act.name}.svg")


# ------------------------------------------------------------------ pieces


def definition_tex(act: Activation) -> tuple[str, str]:
    """(left-hand side, right-hand side) of the definition."""
    if act.is_vector:
        return r"f(\mathbf{x})_i", to_latex(act.expr, x=None)
    return "f(x)", to_latex(act.expr, x=act.x)


def _constants_blocks(exprs: list[sp.Expr]) -> list:
    seen: dict[str, sp.Expr] = {}
    for e in exprs:
        for tex, value in named_constants(e):
            seen.setdefault(tex, value)
    blocks: list = []
    if seen:
        blocks.append(Para([Text("with the exact constants")]))
        for tex, value in seen.items():
            blocks.append(Display(tex, number_tex(value, named=False, full=True)))
    return blocks


def _status_text(fact) -> list:
    if fact is None:
        return [Text("")]
    return [Text(fact.status)]


def _fact(props, name: str):
    return getattr(props, name, None) if props is not None else None


def parameter_rows(act: Activation) -> list[list]:
    rows = []
    for name, symbol in act.params.items():
        assumptions = [k for k in ("positive", "nonnegative", "negative", "nonpositive",
                                   "integer") if symbol.assumptions0.get(k)] or ["real"]
        default = act.defaults.get(name)
        rows.append([
            [Math(param_latex(name))],
            [Code(name)],
            [Math(to_latex(default))] if default is not None else [Text("none")],
            [Text(", ".join(assumptions))],
            [Text(act.param_docs.get(name, ""))],
        ])
    return rows


def _derivative_blocks(entry: Entry) -> list:
    act, derived = entry.act, entry.derived
    blocks: list = []
    for n, lhs in ((1, "f'(x)"), (2, "f''(x)")):
        expr = derived.derivatives.get(n)
        if expr is not None:
            blocks.append(Display(lhs, to_latex(expr, x=act.x), split_lines(expr, act.x)))
    through = _fact(derived.properties, "derivative_through_output")
    if through is not None and through.status != "unknown" and through.value is not None:
        blocks.append(Para([Text("Derivative through the output f (at the default "
                                 "parameters" + (", numeric" if through.status == "numeric"
                                                 else "") + "):")]))
        blocks.append(Display("f'", to_latex(through.value, x=F)))
    elif through is not None:
        blocks.append(Para([Text("Derivative through the output: "
                                 + ("none in closed form" if through.status != "unknown"
                                    else f"unknown ({through.method})") + ".")]))
    blocks.append(Para([Text(f"Derivatives: {derived.derivative_source}; at a kink, the "
                             "derivative of the branch whose condition contains the point.")]))
    return blocks


def _properties_table(entry: Entry) -> list:
    props = entry.derived.properties
    blocks: list = []
    if entry.act.params or entry.act.bound:
        values = entry.act.with_defaults().bound
        shown = ", ".join(f"{k} = {v}" for k, v in values.items())
        intro = f"Derived properties at {shown}"
    else:
        intro = "Derived properties"
    if props is None:
        blocks.append(Para([Text(intro + ": " + entry.derived.properties_note + ".")]))
        return blocks
    blocks.append(Para([Text(intro + " (status: proved = every step symbolic, numeric = "
                             "numerical search, unknown = not established):")]))
    rows = []
    for field_name, label in (VECTOR_ROWS if entry.act.is_vector else SCALAR_ROWS):
        fact = _fact(props, field_name)
        if fact is None:
            continue
        rows.append([[Text(label)], fact_parts(field_name, fact, mark=False),
                     _status_text(fact)])
    blocks.append(Table(["property", "value", "status"], rows, [0.25, 0.60, 0.13],
                        small=True, long=True))
    return blocks


def _kernel_blocks(entry: Entry) -> list:
    if not entry.kernels:
        return []
    blocks: list = [Heading(2, "Generated NumPy kernel")]
    notes = []
    for km in entry.kernels:
        if km.latex:
            blocks.append(Display("", km.latex))
        notes.append(km.note)
    unique = list(dict.fromkeys(notes))
    text = "Source: " + "; ".join(unique) + "."
    if any(km.latex for km in entry.kernels):
        text += (" Parameters are arguments of the kernel; numerically stable rewrites appear "
                 "as written in the code.")
    blocks.append(Para([Text(text)]))
    return blocks


def section(entry: Entry) -> list:
    act = entry.act
    blocks: list = [Heading(1, act.name, anchor=act.name, code=True)]
    intro: list = [Text(act.description[:1].upper() + act.description[1:] + ".")] \
        if act.description else []
    if act.aliases:
        intro += [Text(" Also called ")]
        for i, alias in enumerate(act.aliases):
            if i:
                intro.append(Text(", "))
            intro.append(Code(alias))
        intro.append(Text("."))
    if act.is_vector:
        intro.append(Text(f" Vector-valued: {act.vector.output}."))
    if intro:
        blocks.append(Para(intro))
    lhs, rhs = definition_tex(act)
    blocks.append(Heading(2, "Definition"))
    blocks.append(Display(lhs, rhs))
    exprs = [act.expr] + [e for e in entry.derived.derivatives.values() if e is not None]
    blocks += _constants_blocks(exprs)
    if not act.is_vector:
        blocks.append(Heading(2, "Derivatives"))
        blocks += _derivative_blocks(entry)
    if act.params:
        blocks.append(Heading(2, "Parameters"))
        blocks.append(Table(["symbol", "name", "default", "assumption", "meaning"],
                            parameter_rows(act), [0.10, 0.22, 0.14, 0.16, 0.36], small=True))
        if act.constraints:
            blocks.append(Para([Text("Constraint: "), *_join_math(
                [to_latex(c, x=act.x) for c in act.constraints])]))
    blocks.append(Heading(2, "Properties"))
    blocks += _properties_table(entry)
    if act.conventions:
        blocks.append(Heading(2, "Conventions at kinks and jumps"))
        blocks.append(Items([[Text(c)] for c in act.conventions]))
    if act.frameworks:
        blocks.append(Heading(2, "Framework equivalents"))
        rows = [[[Text(fw)], [Code(ref.call)], [Text(ref.note)]]
                for fw, ref in sorted(act.frameworks.items())]
        blocks.append(Table(["framework", "call", "note"], rows, [0.14, 0.48, 0.38],
                            small=True))
    if act.reference:
        blocks.append(Para([Text("Reference: " + act.reference + ".")]))
    blocks.append(Heading(2, "Plot"))
    caption = f"{act.name}: f (solid) and f' (dashed)"
    if act.params:
        caption += " at the default parameters"
    caption += "; " + (entry.plot.caption + "; " if entry.plot.caption else "") \
        + entry.plot.source + ". Series are split at breakpoints: no line crosses a jump."
    blocks.append(Figure(entry.plot, entry.image, [Text(caption)]))
    blocks += _kernel_blocks(entry)
    return blocks


def _join_math(texs: list[str]) -> list:
    parts: list = []
    for i, t in enumerate(texs):
        if i:
            parts.append(Text(", "))
        parts.append(Math(t))
    return parts


# ------------------------------------------------------------------ summary


def _summary_formula(tex: str, name: str) -> list:
    if visible_length(tex) > SUMMARY_MAX or tex.count(r"\\") > 3:  # long, or > 4 cases
        return [Link("see section", name, code=False)]
    return [Math(tex)]


def summary_row(entry: Entry) -> list:
    act, props = entry.act, entry.derived.properties
    lhs, rhs = definition_tex(act)
    row = [[Link(act.name, act.name)], _summary_formula(rhs, act.name)]
    d1 = entry.derived.derivatives.get(1)
    if act.is_vector:
        row.append([Text("Jacobian, see section")])
        return row + [[Text("vector")], [Text("")], [Text("")], [Text("")], [Text("")]]
    row.append(_summary_formula(to_latex(d1, x=act.x), act.name) if d1 is not None
               else [Text("")])
    for name in ("range", "continuity", "monotonic", "derivative_monotonic",
                 "identity_near_origin"):
        fact = _fact(props, name)
        row.append(fact_parts(name, fact, short=True) if fact is not None else [Text("n/a")])
    return row


def summary_table(entries: list[Entry]) -> Table:
    return Table(
        ["name", "f(x)", "f'(x)", "range", "class", "monotonic", "f' monotonic", "id. near 0"],
        [summary_row(e) for e in entries],
        [0.13, 0.185, 0.185, 0.12, 0.06, 0.12, 0.12, 0.08],
        small=True, long=True, tiny=True,
    )


def build_document(entries: list[Entry]) -> Document:
    doc = Document("symact formula sheet")
    notes = sorted({e.derived.properties_note for e in entries if e.derived.properties_note})
    intro = [Text(
        "Every formula, derivative, property, plot and kernel below is derived from the one "
        "SymPy definition of each activation by symact; nothing is typed by hand. Properties "
        "are stated at the default parameters. Results marked † were found numerically, "
        "results marked ? are unknown; all others are proved symbolically. At a kink the "
        "derivative is that of the branch whose condition contains the point (PyTorch's "
        "convention unless a section says otherwise).")]
    doc.blocks.append(Para(intro))
    if notes:
        doc.blocks.append(Para([Text("Missing parts: " + " ".join(
            n if n.endswith(".") else n + "." for n in notes))]))
    toc_md = "\n".join(f"- [`{e.act.name}`](#act-{e.act.name.replace('_', '-')})"
                       for e in entries)
    doc.blocks.append(Raw(tex=r"\begin{multicols}{3}\tableofcontents\end{multicols}", md="## Contents\n\n- [Summary](#act-summary)\n"
                          + toc_md))
    doc.blocks.append(Heading(1, "Summary", anchor="summary"))
    doc.blocks.append(Para([Text(
        "The columns of Wikipedia's activation-function table, derived. Long formulas are "
        "only in their section. † numeric result, ? unknown.")]))
    doc.blocks.append(summary_table(entries))
    for entry in entries:
        doc.blocks += section(entry)
    return doc
