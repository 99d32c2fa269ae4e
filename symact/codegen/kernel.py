"""Generate the source of the NumPy kernels of one activation, and load it.

``generate(act, orders)`` runs the pipeline: definition -> (per-activation hint, checked) ->
Max/Min/Heaviside/sinc as Piecewise -> stable-form rules -> ``sympy.diff`` (the derivative of a
Piecewise is taken branch by branch, so the derivative at a kink is that of the branch whose
condition contains the point) -> rules again -> series branches where a sum cancels at 0 ->
tangent forms of A cos(u) + B sin(u) -> primitive stable forms -> branch-free forms of Piecewise
selects (:mod:`.fuse`) -> products with an exp/erfc factor that may underflow
(:func:`.functions.underflow_products`) -> CSE and in-place ufunc program (float32 natively when
:mod:`.precision` accepts it). A series branch that is the whole output becomes a patch
evaluated on ``|x| < r`` only, and the simple zeros where the kernel's sum cancels get Taylor
patches too (:mod:`.roots`, ``runtime.root_series``; one ``runtime.root_table`` lookup for a
function with a zero every ~pi, such as sinc'). The special values are then checked by
running the kernel: NaN must give NaN and +-inf the limits (computed by ``sympy.limit``; when
they depend on the parameters and no symbolic limit is found, ``runtime.fix_inf_probe`` takes
them from the kernel at the largest finite floats, kept only if that reproduces the limits at
the defaults); the generator adds a fix-up only to the kernels that need it.
"""

from __future__ import annotations

import functools
import math
import textwrap
import warnings
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from ..budget import DEFAULT_BUDGET, BudgetExceeded, time_budget
from ..errors import SymactError
from ..model import SIGN_RULES
from . import runtime
from .emit import (
    EXP_MUL,
    EXP_R,
    EmitError,
    compile_outputs,
    exp_lines,
    float32_at,
    with_exp_rounded,
)
from .forms import common_denominator
from .functions import STABLE, expand, to_textbook, underflow_products
from .fuse import fuse
from .rewrite import (
    HINTS,
    algebraic,
    clamps,
    prepare,
    series_branches,
    stabilise,
    tangent_forms,
)

#: ufuncs that are exact or correctly rounded in float32: kernels made only of these run
#: natively in float32; other kernels do when :func:`.precision.native_float32` accepts their
#: program (error estimate within budget, no cancellation, no float32-only under/overflow),
#: else float16/float32 input is computed in float64 and rounded once (or, when the analysis
#: rejects only a few intervals of x, in float32 with those elements recomputed in float64)
_NATIVE_OK = {
    "np.add", "np.subtract", "np.multiply", "np.divide", "np.negative", "np.square",
    "np.sqrt", "np.abs", "np.sign", "np.maximum", "np.minimum", "np.less", "np.less_equal",
    "np.greater", "np.greater_equal", "np.equal", "np.not_equal", "np.logical_and",
    "np.logical_or", "np.logical_not", "np.clip", "_rt.two_slopes",
}

ORDER_NAMES = {0: "value", 1: "first derivative", 2: "second derivative"}

RESERVED = {"x", "out"}


class CodegenError(SymactError):
    """An activation could not be compiled to a NumPy kernel."""


@dataclass
class KernelSource:
    """The generated source of one kernel and what went into it."""

    name: str  # public function name
    activation: str
    orders: tuple[int, ...]
    params: tuple[str, ...]
    defaults: tuple[float, ...]
    source: str  # core + public function (module-level code)
    formulas: tuple[str, ...]
    notes: list[str] = field(default_factory=list)


def _float(v: sp.Expr) -> float:
    return float(sp.N(v, 20))


def _hinted(act) -> tuple[sp.Expr, list[str]]:
    """The definition, or an equivalent hinted form when the hint checks out numerically."""
    expr = act.expr
    if act.user_defined or act.name not in HINTS:
        return expr, []
    reason, build = HINTS[act.name]
    candidate = build(act.x)
    subs = {act.params[k]: v for k, v in act.defaults.items() if k in act.params}
    for point in ("-3.7", "-0.5", "0.3", "2.2", "11.5"):
        p = sp.Rational(point)
        a = expr.subs(subs).subs(act.x, p).evalf(30)
        c = candidate.subs(subs).subs(act.x, p).evalf(30)
        if abs(a - c) > 1e-25 * (1 + abs(a)):
            return expr, []
    return candidate, [f"rewritten ({reason})"]


def _lower(stable: sp.Expr, x: sp.Symbol) -> sp.Expr:
    return _lower_expanded(expand(clamps(stable, x), x), x)


def _lower_expanded(expanded: sp.Expr, x: sp.Symbol) -> sp.Expr:
    return underflow_products(fuse(expanded, x), x)


def _pipeline(act, order: int, defaults_subs: dict
              ) -> tuple[sp.Expr, sp.Expr, list[str], sp.Expr | None, tuple | None]:
    """(textbook derivative, stable lowered expression, notes, the lowered expression without
    its series branch when that branch is the whole output (a candidate for a patch at 0,
    see :func:`.roots.zero_patch`), else None, the lowered common-denominator forms for x < 0
    and x > 0 (see :mod:`.forms`; None where there is none), else None)."""
    x = act.x
    base, notes = _hinted(act)
    base = prepare(base, x)
    try:
        with time_budget(DEFAULT_BUDGET):
            stable = stabilise(base, x)
            textbook = base
            for _ in range(order):
                stable = sp.diff(stable, x)
                textbook = sp.diff(textbook, x)
            stable = stabilise(stable, x, final=True)
    except BudgetExceeded as exc:
        raise CodegenError(f"{act.name}: symbolic rewrite timed out ({exc})") from None
    try:
        stable = algebraic(stable, x)
    except Exception as exc:  # SymPy can fail in many ways; the kernel is then not generated
        raise CodegenError(f"{act.name}: algebraic simplification failed ({exc})") from None
    with_series = series_branches(stable, x, defaults_subs)
    no_series = with_series == stable
    direct = None
    if with_series != stable:
        if (isinstance(with_series, sp.Piecewise) and len(with_series.args) == 2
                and with_series.args[1][0] == stable and not act.params):
            direct = _lower(stable, x)
        else:
            notes.append("Taylor polynomial near 0 where the terms of a sum cancel")
    stable = tangent_forms(with_series, x)
    used = sorted({type(e).__name__ for e in sp.preorder_traversal(stable)
                   if isinstance(e, STABLE)})
    if used:
        notes.append("stable forms: " + ", ".join(used))
    sides = None
    # (derivatives only, and not where a series branch or a tangent form was put in: the
    # candidate forms work on the plain sum)
    if no_series and with_series == stable and order > 0:
        found = common_denominator(expand(clamps(stable, x), x), x,
                                   [act.params[n] for n in act.params])
        if found is not None:
            sides = tuple(None if f is None else _lower_expanded(f, x) for f in found)
    return textbook, _lower(stable, x), notes, direct, sides


def _zero_patch(act, textbook: sp.Expr, direct: sp.Expr):
    """The :func:`.roots.zero_patch` of an output whose series branch at 0 is the whole
    expression, probing the kernel of the expression without it."""
    from .roots import zero_patch

    try:
        compiled = compile_outputs([direct], act.x, [])
    except EmitError:
        return None
    src = "def _probe_core(x, o, s, b):\n" + "".join(f"    {ln}\n" for ln in compiled.lines)
    ns = namespace()
    exec(compile(src, "<symact probe>", "exec"), ns)  # noqa: S102
    core = ns["_probe_core"]

    def probe(points):
        return runtime.apply(core, (1, compiled.nfloat, compiled.nbool, True), points, None,
                             (), ())

    return zero_patch(to_textbook(textbook), act.x, probe)


def _limit(expr: sp.Expr, x: sp.Symbol, direction, subs: dict | None = None
           ) -> sp.Expr | None:
    if isinstance(expr, sp.Piecewise):
        far = sp.Integer(10) ** 400 * (1 if direction == sp.oo else -1)
        for e, c in expr.args:
            holds = c.subs(subs or {}).subs(x, far)
            if holds is sp.true:
                return _limit(e, x, direction, subs)
            if holds is not sp.false:
                return None
        return None
    if subs is not None and expr.has(sp.Piecewise):
        far = sp.Integer(10) ** 400 * (1 if direction == sp.oo else -1)

        def branch(pw):
            for e, c in pw.args:
                holds = c.subs(subs).subs(x, far)
                if holds is sp.true:
                    return e
                if holds is not sp.false:
                    break
            return pw

        expr = expr.replace(lambda e: isinstance(e, sp.Piecewise), branch)
    try:
        with time_budget(DEFAULT_BUDGET):
            value = sp.limit(to_textbook(expr), x, direction)
    except Exception:
        return None
    if value.has(sp.Limit) or isinstance(value, sp.AccumBounds) or value.has(sp.AccumBounds):
        return sp.nan if isinstance(value, sp.AccumBounds) else None
    if value.has(sp.zoo):
        return None
    return value


def _inf_fix(act, tb, params, defaults_subs, got, notes) -> tuple[str, str] | str | None:
    """Code for the limits at +inf / -inf when the kernel (at the defaults) misses them;
    "probe" when they depend on the parameters and no symbolic limit was found."""
    from .accuracy import mp_function, numeric_limit
    from .emit import Program

    x = act.x
    try:
        fn = mp_function(to_textbook(tb).subs(defaults_subs), x)
        expect = [float(numeric_limit(fn, 1)), float(numeric_limit(fn, -1))]
    except Exception:
        notes.append("limits at +-inf not checked")
        return None
    ok = [(math.isnan(e) and math.isnan(g)) or e == g for e, g in zip(expect, got, strict=True)]
    if all(ok):
        return None
    if not params:
        code = [Program(x, []).scalar(sp.Float(e)) if not math.isnan(e) else "np.nan"
                for e in expect]
    else:
        code = []
        for direction, e in ((sp.oo, expect[0]), (-sp.oo, expect[1])):
            lim = _limit(tb, x, direction, defaults_subs)
            if lim is None:
                lim = sp.nan if math.isnan(e) else None
            if lim is None:
                return "probe"
            code.append(Program(x, params).scalar(lim))
    notes.append("the limits at +-inf are written explicitly")
    return code[0], code[1]


def _slope_params(tb, x, params, defaults_subs) -> list[str]:
    """The parameters that alone are the slope of ``tb`` at +inf or -inf (leaky_relu's
    negative_slope, srelu's a_l and a_r), in order: where one is 0 the branch p x (or
    t + p (x - t)) gives 0 inf = NaN at an infinite input while the limit is finite (the
    kernel's value at the largest floats: ``runtime.fix_inf_probe``). Slopes that are sums of
    parameters (apl's a_1 + a_2) are left out: there the probe's huge x absorbs the finite
    intercept."""
    found: list[str] = []
    q = sp.Piecewise(*[(e / x, c) for e, c in tb.args]) if isinstance(tb, sp.Piecewise) \
        else tb / x
    for direction in (sp.oo, -sp.oo):
        try:
            lim = _limit(q, x, direction, defaults_subs)
        except Exception:  # (a failed or timed-out limit: no probe)
            lim = None
        if lim is not None and lim in params and str(lim) not in found:
            found.append(str(lim))
    return found


def _zero_slopes_fixed(act, tb, zero, fn, k, n_out, defaults_subs) -> bool:
    """Whether kernel ``fn`` (with the probe) gives the textbook's limits at +-inf when each
    slope parameter in ``zero`` is 0 (the others at their defaults)."""
    from .accuracy import mp_function, numeric_limit

    probe = np.array([np.inf, -np.inf])
    for z in zero:
        sym = act.params[z]
        subs = {**defaults_subs, sym: 0}
        try:
            f = mp_function(to_textbook(tb).subs(subs), act.x)
            expect = [float(numeric_limit(f, 1)), float(numeric_limit(f, -1))]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got = fn(probe, **{z: 0.0})
        except Exception:
            return False
        got = got[k] if n_out > 1 else got
        if not all((math.isnan(e) and math.isnan(g)) or e == g
                   for e, g in zip(expect, got, strict=True)):
            return False
    return True


def _patches(act, tb, defaults_subs, fn, k, n_out) -> list[tuple]:
    """Taylor patches at the zeros of output ``k`` of kernel ``fn`` where its sum cancels
    (:func:`.roots.root_patches`)."""
    from .roots import root_patches

    def out(points):
        got = fn(points)
        return got[k] if n_out > 1 else got

    return root_patches(to_textbook(tb).subs(defaults_subs), act.x, out)


def _widest(*lists: list[tuple]) -> list[tuple]:
    """Per zero, the patch of the largest radius among ``lists`` (a patch is accurate on all
    of its radius whichever form it overwrites; a form more accurate near a zero gets a
    smaller one, and its probes may miss spikes a wider patch covers)."""
    best: dict = {}
    for patches in lists:
        for p in patches:
            if p[0] not in best or p[2] > best[p[0]][2]:
                best[p[0]] = p
    return [best[h] for h in sorted(best)]


def _scale(act, tb, names) -> tuple[int, int] | None:
    """(0, m) when output ``tb`` of the one-parameter ``act`` is a scale family in its parameter
    (:func:`.roots.scale_family`): its zero patches then serve every positive value."""
    from .roots import scale_family

    if len(names) != 1 or names[0] not in act.defaults:
        return None
    m = scale_family(tb, act.x, act.params[names[0]], sp.sympify(act.defaults[names[0]]))
    return None if m is None else (0, m)


def _root_lines(patches, k, names, defaults, notes, scale=None) -> list[str]:
    """``runtime.root_series`` lines for ``patches`` of output ``k`` (and their notes), or one
    ``runtime.root_table`` line for more than ``roots.FEW_ROOTS`` of them (two passes and a
    search on the candidates, instead of four passes per zero)."""
    from .roots import FEW_ROOTS

    ps = "".join(f"p_{n}, " for n in names)
    if len(patches) > FEW_ROOTS:
        zeros = [p[0] for p in patches]
        notes.append(f"Taylor polynomials at the {len(patches)} zeros x0 in "
                     f"[{min(zeros):.6g}, {max(zeros):.6g}] where the terms cancel "
                     f"(|x - x0| < {max(p[2] for p in patches):g} at most)")
        return [f"_rt.root_table(x, o[{k}], {tuple(patches)!r}, ({ps}), {defaults!r})"]
    lines = []
    scaled = "" if scale is None else f", scale={scale!r}"
    for hi, lo, r, coeffs, r_rounded, f32_fine in patches:
        lines.append(f"_rt.root_series(x, o[{k}], {hi!r}, {lo!r}, {r!r}, {coeffs!r}, "
                     f"({ps}), {defaults!r}, r_rounded={r_rounded!r}, "
                     f"narrow_ok={f32_fine!r}{scaled})")
        note = (f"Taylor polynomial at the zero x0 = {hi:.6g} where the terms cancel "
                f"(|x - x0| < {r:g})")
        if scale is not None:
            p = names[scale[0]]
            note += (f"; for other {p} > 0 at x0 {defaults[scale[0]]:g} / {p}, the output "
                     f"being {p}^{scale[1]} times a function of {p} x"
                     if defaults[scale[0]] != 1.0 else
                     f"; for other {p} > 0 at x0 / {p}, the output being {p}^{scale[1]} "
                     f"times a function of {p} x")
        if note not in notes:
            notes.append(note)
    return lines


def _bound_code(v: float) -> str:
    return "np.inf" if v == math.inf else "-np.inf" if v == -math.inf else repr(v)


def intervals_code(ivs: tuple) -> str:
    """Refinement intervals as source (unbounded ends as np.inf)."""
    items = [f"({_bound_code(a)}, {_bound_code(b)})" for a, b in ivs]
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def _intervals_text(ivs: tuple) -> str:
    """Refinement intervals for a docstring."""
    return " and ".join(f"[{a:.6g}, {b:.6g}]" for a, b in ivs)


def _precise_code(precise) -> str:
    return intervals_code(precise) if isinstance(precise, tuple) else repr(precise)


@dataclass(frozen=True)
class AtDefaults:
    """Spec entry: float32 input computed as ``native`` says (False: in float32; a tuple of x
    intervals: refined there) when every parameter is a scalar at its default, else in
    float64 (written as a call of ``runtime.at_defaults`` in the generated module)."""

    names: tuple[str, ...]
    defaults: tuple[float, ...]  # (finite)
    native: bool | tuple

    def __repr__(self) -> str:
        args = "".join(f"{n}, " for n in self.names)
        values = "".join(f"{d!r}, " for d in self.defaults)
        return f"_rt.at_defaults(({args}), ({values}), {_precise_code(self.native)})"


def _func_name(act_name: str, orders: tuple[int, ...]) -> str:
    if orders == (0, 1):
        return f"{act_name}_value_and_grad"
    order = orders[0]
    return act_name if order == 0 else f"{act_name}_d{order}"


def generate(act, orders: tuple[int, ...], float32_points: np.ndarray | None = None
             ) -> KernelSource:
    """Source for the kernel computing the derivatives ``orders`` of scalar ``act``
    (``float32_points``: where float32 compute is checked, default :func:`float32_sample`;
    a kernel of the output y = f(x) is checked at outputs). The candidate kernels it runs at
    the defaults skip the parameter domain check (:func:`runtime.domain_unchecked`)."""
    with runtime.domain_unchecked():
        return _generate(act, orders, float32_points)


def _generate(act, orders: tuple[int, ...], float32_points: np.ndarray | None) -> KernelSource:
    if act.is_vector:
        raise CodegenError(f"{act.name} is vector-valued: use symact.codegen.vector")
    names = tuple(act.params)
    for n in names:
        if n in RESERVED or not n.isidentifier():
            raise CodegenError(f"{act.name}: parameter name {n!r} cannot be used in a kernel")
    defaults = tuple(_float(act.defaults[n]) if n in act.defaults else math.nan for n in names)
    defaults_subs = {act.params[n]: act.defaults[n] for n in names if n in act.defaults}
    outs, formulas, notes = [], [], []
    plains = []  # (the outputs without the common-denominator forms: float32 results)
    textbooks = []
    zero_lines = []
    for k, order in enumerate(orders):
        textbook, stable, nts, direct, sides = _pipeline(act, order, defaults_subs)
        plains.append(stable)
        if sides is not None:
            stable, chosen = _choose_sides(act, order, textbook, stable, sides)
            if chosen:
                nts.append("float64 results: over one common denominator for "
                           + " and ".join(chosen) + " (measured more accurate there; float32 "
                           "results use the plain form)")
        patch = None if direct is None else _zero_patch(act, textbook, direct)
        if patch is not None:
            stable = direct
            _, _, r, coeffs, lead, step, r_rounded = patch
            zero_lines.append(f"_rt.root_series(x, o[{k}], 0.0, 0.0, {r!r}, {coeffs!r}, (), (), "
                              f"{lead}, {step}, r_rounded={r_rounded!r})")
            nts.append(f"Taylor polynomial of degree {lead + step * (len(coeffs) - 1)} on "
                       f"|x| < {r:g} where the terms of the sum cancel (those elements only)")
        elif direct is not None:
            nts.append("Taylor polynomial near 0 where the terms of a sum cancel")
        if patch is not None:
            plains[-1] = stable
        outs.append(stable)
        textbooks.append(textbook)
        formulas.append(str(textbook))
        notes.extend(n for n in nts if n not in notes)
    params = [act.params[n] for n in names]
    try:
        compiled = compile_outputs(plains, act.x, params)
        # float64 results with the common-denominator forms (see _choose_sides); every
        # float32 decision below is about the plain program, which float32 results run
        wide_prog = None if plains == outs else compile_outputs(outs, act.x, params)
    except EmitError as exc:
        raise CodegenError(f"{act.name}: {exc}") from None
    precise = not (compiled.functions <= _NATIVE_OK or compiled.native_float32)
    if precise and compiled.refine:
        precise = compiled.refine  # float32, and float64 on these x intervals
    if precise is True and compiled.program is not None and names and all(
            math.isfinite(d) for d in defaults):
        # rejected for parameters anywhere: perhaps accepted at the defaults (beta = 1 makes
        # exp(-beta |x|) the exp of an exact argument)
        values = {f"p_{n}": d for n, d in zip(names, defaults, strict=True)}
        at = float32_at(compiled.program, values)
        alt = with_exp_rounded(compiled, values) if at is False else None
        if alt is not None and (alt.native_float32 or alt.refine):
            compiled, at = alt, True if alt.native_float32 else alt.refine
        if at is not False:
            precise = AtDefaults(names, defaults, False if at is True else at)
    fname = _func_name(act.name, orders)
    core = f"_{fname}_core"
    plist = "".join(f", p_{n}" for n in names)
    plain_lines = list(compiled.lines)
    wide_lines = None if wide_prog is None else list(wide_prog.lines)

    def assemble(plain_roots: list[str], wide_roots: list[str]) -> list[str]:
        """The core's lines: with forms for float64 results, ``if _rt.wide(x):`` those, each
        branch with its own patches at the zeros."""
        if wide_lines is None:
            return plain_lines + zero_lines + plain_roots
        return (["if _rt.wide(x):"] + ["    " + ln for ln in wide_lines + wide_roots]
                + ["else:"] + ["    " + ln for ln in plain_lines + plain_roots] + zero_lines)

    body = assemble([], [])
    nfloat, nbool, functions = compiled.nfloat, compiled.nbool, compiled.functions
    if wide_prog is not None:
        nfloat, nbool = max(nfloat, wide_prog.nfloat), max(nbool, wide_prog.nbool)
        functions = functions | wide_prog.functions
    spec = (len(orders), nfloat, nbool, precise)
    transcendental = not functions <= _NATIVE_OK

    def build(lines: list[str], spec: tuple) -> KernelSource:
        src = _assemble(act, fname, core, plist, lines, spec, names, defaults, orders,
                        formulas, notes, transcendental)
        return KernelSource(fname, act.name, tuple(orders), names, defaults, src,
                            tuple(formulas), notes)

    ks = build(body, spec)
    if precise is not True:
        wide = build(body, spec[:3] + (True,))
        if not _float32_close(ks, wide, float32_points):
            spec, ks = spec[:3] + (True,), wide
    if spec[3] is True and _uses_exp_r(body):
        plain_lines = exp_lines(plain_lines, False)  # (float64 compute: nothing to round)
        wide_lines = None if wide_lines is None else exp_lines(wide_lines, False)
        body = assemble([], [])
        ks = build(body, spec)
    # special values: run the kernel, then add fix-ups where it misses NaN or the limits
    fn = load(ks)
    probe = np.array([np.nan, np.inf, -np.inf])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = fn(probe)
    got = got if len(orders) > 1 else (got,)
    extra: list[str] = []
    probes = []
    roots: list[str] = []
    plain_roots: list[str] = []
    # float32 results run the plain program: its patches are found on it (float64 compute,
    # as the patches' r_rounded / narrow_ok assume), those of the forms on the forms
    plain_fn = None if wide_lines is None else load(build(plain_lines + zero_lines, spec))
    for k, tb in enumerate(textbooks):
        found = _patches(act, tb, defaults_subs, fn, k, len(orders))
        plain = [] if plain_fn is None else _patches(act, tb, defaults_subs, plain_fn, k,
                                                     len(orders))
        scale = _scale(act, tb, names) if found or plain else None
        if plain_fn is None:
            extra.extend(_root_lines(found, k, names, defaults, notes, scale))
        else:
            roots.extend(_root_lines(_widest(found, plain), k, names, defaults, notes, scale))
            # (no note of its own: its radius for rounded results is r_rounded, as before)
            plain_roots.extend(_root_lines(plain, k, names, defaults, [], scale))
        if not np.isnan(got[k][0]):
            extra.append(f"_rt.fix_nan(x, o[{k}])")
        fix = _inf_fix(act, tb, params, defaults_subs, (got[k][1], got[k][2]), notes)
        if fix == "probe":
            ps = "".join(f"p_{n}, " for n in names)
            counts = (len(orders), nfloat, nbool)
            probes.append(f"_rt.fix_inf_probe({core}, {counts!r}, {k}, x, o[{k}], ({ps}))")
        elif fix is not None:
            extra.append(f"_rt.fix_inf(x, o[{k}], {fix[0]}, {fix[1]})")
        else:
            zero = _slope_params(tb, act.x, params, defaults_subs)
            if zero:  # (right at the defaults; 0 inf = NaN where such a slope is 0)
                ps = "".join(f"p_{n}, " for n in names)
                zs = "".join(f"p_{z}, " for z in zero)
                counts = (len(orders), nfloat, nbool)
                line = (f"_rt.fix_inf_probe({core}, {counts!r}, {k}, x, o[{k}], ({ps}), "
                        f"zero=({zs}))")
                if _zero_slopes_fixed(act, tb, zero, load(build(body + extra + [line], spec)),
                                      k, len(orders), defaults_subs):
                    extra.append(line)
    if plain_fn is not None:
        body = assemble(plain_roots, roots)
    if probes:  # kept only if they give the limits at the defaults
        tfn = load(build(body + extra + probes, spec))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tgot = tfn(probe)
        tgot = tgot if len(orders) > 1 else (tgot,)
        if all(_inf_fix(act, tb, params, defaults_subs, (tgot[k][1], tgot[k][2]), []) is None
               for k, tb in enumerate(textbooks)):
            extra += probes
            notes.append("the limits at +-inf are taken from the kernel at the largest finite "
                         "floats (they depend on the parameters)")
        else:
            notes.append("limit at +-inf depends on the parameters and was not found; "
                         "the kernel's own value is used")
    if extra or plain_fn is not None:
        ks = build(body + extra, spec)
    return ks


#: a common-denominator form (see :mod:`.forms`) replaces the plain one on a side of 0 when
#: its largest measured error there is this many float64 ULPs smaller
FORM_MARGIN = 0.5
#: ... measured at these points (and those of the accuracy grid below the bound), each form
#: with the Taylor patches at the zeros that :mod:`.roots` gives it (as the kernel will have)
FORM_SPAN = 40.0
#: the common-denominator form serves only |x| < FORM_BOUND: its numerator has polynomial
#: coefficients (4 x + 6 in mish') that overflow near the largest floats, where the plain
#: form's products stay finite (measured too, at log-spaced points up to the bound; the
#: exponentials cannot grow instead: forms are built only when they hold no parameter)
FORM_BOUND = 2.0**64


@functools.cache
def _form_points() -> np.ndarray:
    from .accuracy import grid

    rng = np.random.default_rng(20261124)
    g = grid("float64")
    far = np.geomspace(FORM_SPAN, FORM_BOUND, 41)[:-1]
    pts = np.concatenate([g[np.isfinite(g) & (np.abs(g) < FORM_BOUND) & (g != 0.0)],
                          rng.uniform(-FORM_SPAN, FORM_SPAN, 1200), rng.uniform(-4, 4, 600),
                          far, -far])
    return np.unique(pts)


def _choose_sides(act, order: int, textbook: sp.Expr, plain: sp.Expr, sides: tuple
                  ) -> tuple[sp.Expr, list[str]]:
    """``plain`` with its part for x < 0 and/or x > 0 replaced by the common-denominator
    form ``sides`` where that is measured more accurate (float64, against mpmath, at the
    defaults; below FORM_BOUND in magnitude), and the sides replaced."""
    from .accuracy import SKIP, references, ulp_errors
    from .roots import root_patches

    x = act.x
    names = tuple(act.params)
    if any(n not in act.defaults for n in names):
        return plain, []
    defaults = tuple(_float(act.defaults[n]) for n in names)
    pts = _form_points()
    refs = references(act, order, pts)
    ref = np.array([float(r) if r not in ("nan", SKIP) else np.nan for r in refs])
    ok = np.isfinite(ref)
    params = [act.params[n] for n in names]
    tb = to_textbook(textbook).subs({act.params[n]: act.defaults[n] for n in names})

    def errors(expr: sp.Expr, base: list | None = None) -> tuple[np.ndarray, list] | None:
        try:
            compiled = compile_outputs([expr], x, params)
        except EmitError:
            return None
        plist = "".join(f", p_{n}" for n in names)
        spec = (1, compiled.nfloat, compiled.nbool, True)
        src = _assemble(act, "_form", "_form_core", plist, list(compiled.lines), spec, names,
                        defaults, (order,), ["form"], [])
        fn = load(KernelSource("_form", act.name, (order,), names, defaults, src, (), []))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = np.asarray(fn(pts.copy()), dtype=np.float64)
            patches = root_patches(tb, x, fn)
            for hi, lo, r, coeffs, _, _ in _widest(patches, base or []):
                runtime.root_series(pts, got, hi, lo, r, coeffs)
        sel = [r for r, keep in zip(refs, ok, strict=True) if keep]
        err = np.full(pts.shape, np.inf)
        err[ok] = ulp_errors(got[ok], sel, "float64")
        return err, patches

    found = errors(plain)
    if found is None:
        return plain, []
    base, plain_patches = found
    picked, chosen = [], []
    for label, form, on, cond in (
            ("-2^64 < x < 0", sides[0], pts < 0, sp.And(x < 0, x > -FORM_BOUND)),
            ("0 < x < 2^64", sides[1], pts > 0, sp.And(x > 0, x < FORM_BOUND))):
        region = on & ok
        if form is None or not region.any():
            continue
        found = errors(sp.Piecewise((form, cond), (plain, True)), plain_patches)
        if found is not None and found[0][region].max() + FORM_MARGIN < base[region].max():
            picked.append(label)
            chosen.append((form, cond))
    if not chosen:
        return plain, []
    return sp.Piecewise(*chosen, (plain, True)), picked


#: a kernel the float32 analysis lets run in float32 (natively or refined) keeps that only if it
#: stays within this many float32 ULPs of the same program computed in float64 and rounded
#: once at the points of :func:`float32_sample` (at the defaults): a sample, not a bound. The
#: analysis estimates rather than bounds: it counts each rounding as half an ULP at the bottom
#: of a binade, worth up to twice that at the top (arctan' as (1 / hypot(x, 1))^2 is estimated
#: 3.5 and measures 4.03 ULPs; softsign'' measured 5). The result depends on NumPy's float32
#: functions on the generating machine; 3.5 leaves a margin above the 3.0 that a dozen
#: accepted kernels reach, so a one-ULP difference of another build does not flip them
FLOAT32_CHECK_ULPS = 3.5


@functools.cache
def float32_sample() -> np.ndarray:
    """Fixed float32 sample points: dense on [-10, 10] (220,000) and on [-100, 100] (50,000),
    log-uniform magnitudes of both signs over the whole range (subnormals to the largest
    floats, 2 x 58,000). The worst errors of a float32 program sit at rare alignments of its
    roundings: silu as x e / (1 + e) with NumPy's float32 exp (2.45 ULPs) reaches 4.16 ULPs at
    x = -9.35 with one point in 10,000 above 3 ULPs, which 20,000 points on [-10, 10] missed."""
    rng = np.random.default_rng(24)
    dense = rng.uniform(-10.0, 10.0, 20000)
    mags = np.exp(rng.uniform(math.log(1e-45), math.log(3.4e38), 8000))
    more = np.exp(rng.uniform(math.log(1e-45), math.log(3.4e38), 50000))
    pts = np.concatenate([dense, mags, -mags, rng.uniform(-10.0, 10.0, 200000),
                          rng.uniform(-100.0, 100.0, 50000), more, -more]).astype(np.float32)
    pts.flags.writeable = False
    return pts


def _float32_close(native: KernelSource, wide: KernelSource,
                   points: np.ndarray | None = None) -> bool:
    """True when ``native`` (float32 compute) is within FLOAT32_CHECK_ULPS of ``wide`` (the
    same program with float32 input computed in float64) at ``points`` (default
    :func:`float32_sample`), with the same non-finite values."""
    x = float32_sample() if points is None else np.asarray(points, np.float32)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        got, ref = load(native)(x), load(wide)(x)
        if not isinstance(got, tuple):
            got, ref = (got,), (ref,)
        for g, r in zip(got, ref, strict=True):
            g64, r64 = g.astype(np.float64), r.astype(np.float64)
            fin = np.isfinite(r64)
            if not np.array_equal(np.isfinite(g64), fin) or not np.array_equal(
                    g64[~fin], r64[~fin], equal_nan=True):
                return False
            gap = np.spacing(np.abs(r[fin])).astype(np.float64)
            if np.any(np.abs(g64[fin] - r64[fin]) > FLOAT32_CHECK_ULPS * gap):
                return False
    return True


def _uses_exp_r(lines: list[str]) -> bool:
    return any(ln.lstrip().startswith(EXP_R) or (ln.lstrip().startswith(EXP_MUL)
                                                 and ln.endswith(", True, out=" + ln.rpartition(
                                                     ", out=")[2]))
               for ln in lines)


def _assemble(act, fname, core, plist, body, spec, names, defaults, orders, formulas,
              notes, transcendental=False) -> str:
    lines = [f"def {core}(x, o, s, b{plist}):"]
    lines += ["    " + ln for ln in body] or ["    pass"]
    kw = "".join(f", {n}={d!r}" for n, d in zip(names, defaults, strict=True))
    domain = domain_rules(act, names)
    doc = _docstring(act, orders, formulas, names, defaults, notes, spec, domain,
                     native_note=not spec[3] and transcendental,
                     exp_rounded=_uses_exp_r(body))
    lines.append("")
    lines.append("")
    lines.append(f"def {fname}(x, *, out=None{kw}):")
    lines.append(textwrap.indent(doc, "    "))
    if len(orders) == 1:
        outs = "None if out is None else (out,)"
    else:
        outs = "None if out is None else tuple(out)"
    spec_code = f"({spec[0]}, {spec[1]}, {spec[2]}, {_precise_code(spec[3])})"
    lines.append(f"    return _rt.apply({core}, {spec_code}, x, {outs},")
    tail = f",\n                     {domain!r})" if domain else ")"
    lines.append(f"                     ({''.join(n + ', ' for n in names)}), {names!r}{tail}")
    return "\n".join(lines) + "\n"


def domain_rules(act, names) -> tuple:
    """The rules a kernel checks on its parameter values (``runtime.check_domain``): each
    parameter's sign assumption and integrality, and the activation's constraints between
    parameters (``min_val < max_val``), as :meth:`~symact.Activation.bind` checks them."""
    rules: list = []
    for n in names:
        a = act.params[n].assumptions0
        for key, op, bound in SIGN_RULES:
            if a.get(key):
                rules.append((n, op, bound))
                break
        if a.get("finite"):
            rules.append((n, "finite", None))
        if a.get("integer"):
            rules.append((n, "integer", None))
    by_symbol = {act.params[n]: n for n in names}

    def side(e):
        if e in by_symbol:
            return by_symbol[e]
        if e.is_number and e.is_real:
            return float(e)
        raise CodegenError(f"{act.name}: the constraint side {e} is neither a parameter nor a "
                           "number: a kernel cannot check it")

    for c in act.constraints:
        if c is sp.true or c is True:
            continue
        if not isinstance(c, sp.core.relational.Relational) or c.rel_op not in (
                "<", "<=", ">", ">=", "!=", "=="):
            raise CodegenError(f"{act.name}: a kernel cannot check the constraint {c}")
        rules.append((side(c.lhs), c.rel_op, side(c.rhs)))
    return tuple(rules)


def _docstring(act, orders, formulas, names, defaults, notes, spec, domain: tuple,
               native_note=False, exp_rounded=False) -> str:
    numpy32 = ("NumPy's float32 transcendentals, but exponentials computed in float64 and "
               "rounded once: NumPy's float32 exp is off by up to 2.45 ULPs" if exp_rounded
               else "NumPy's float32 transcendentals")
    what = " and ".join(ORDER_NAMES[o] for o in orders)
    head = f"{act.name}: {what}, elementwise."
    out = [f'"""{head}', ""]
    for o, f in zip(orders, formulas, strict=True):
        label = {0: "f(x)", 1: "f'(x)", 2: "f''(x)"}[o]
        out.append(f"{label} = {f}")
    if names:
        out.append("")
        out.append("Parameters (keyword, scalars or arrays broadcasting with x): " + ", ".join(
            f"{n}={d!r}" for n, d in zip(names, defaults, strict=True)))
        if domain:
            out.append("Domain: " + ", ".join(
                f"{a} {op}" if b is None else f"{a} {op} {b:g}"
                if not isinstance(b, str) else f"{a} {op} {b}" for a, op, b in domain)
                + " (other values raise ValueError).")
    if act.conventions:
        out.append("")
        out.append("Conventions: " + "; ".join(act.conventions) + ".")
    out.append("")
    out.append("Derivatives at a kink are those of the branch whose condition contains the "
               "point. NumPy ufunc rules: float16/32/64 keep their dtype (ints and bools give "
               "float64; complex/object raise TypeError); out= is honoured (also out=x); NaN "
               "propagates; no floating-point warnings.")
    if isinstance(spec[3], AtDefaults):
        at = spec[3]
        values = ", ".join(f"{n}={d!r}" for n, d in zip(at.names, at.defaults, strict=True))
        where = "" if not at.native else (
            f" (except for x in {_intervals_text(at.native)}, computed in float64)")
        out.append(f"float16/float32 input is computed in float32 ({numpy32}) when the "
                   "parameters are scalars at their defaults "
                   f"({values}){where}: the float32 error analysis accepts this program with "
                   "those values only. Otherwise it is computed in float64 and rounded once.")
    elif isinstance(spec[3], tuple):
        out.append(f"float16/float32 input is computed in float32 ({numpy32}), except for "
                   f"x in {_intervals_text(spec[3])}, computed in float64 and rounded once: "
                   "there the float32 error analysis rejects this program.")
    elif spec[3]:
        out.append("float16/float32 input is computed in float64 and rounded once.")
    elif native_note:
        out.append(f"float16/float32 input is computed in float32 ({numpy32}; the float32 "
                   "error analysis accepts this program).")
    for n in notes:
        out.append(f"Numerics: {n}.")
    if len(orders) > 1:
        out.append("Returns (f, f'); out= takes a pair of arrays.")
    wrapped = []
    for ln in out:
        wrapped.extend(textwrap.wrap(ln, 92, break_long_words=True, break_on_hyphens=False)
                       or [""])
    return "\n".join(wrapped) + '\n"""'


def namespace() -> dict:
    import scipy.special as sc

    return {"np": np, "_sc": sc, "_rt": runtime}


def load(ks: KernelSource):
    """Execute the generated source and return the public kernel function."""
    ns = namespace()
    exec(compile(ks.source, f"<symact kernel {ks.name}>", "exec"), ns)  # noqa: S102
    fn = ns[ks.name]
    fn.source = ks.source
    return fn


_CACHE: dict = {}


def _key(act, orders):
    return (act.name, sp.srepr(act.expr), tuple(act.params), tuple(
        (k, str(v)) for k, v in act.defaults.items()), orders)


_SOURCES: dict = {}


def generate_cached(act, orders: tuple[int, ...]) -> KernelSource:
    """:func:`generate`, memoised per definition (generation is deterministic)."""
    key = _key(act, orders)
    ks = _SOURCES.get(key)
    if ks is None:
        ks = _SOURCES[key] = generate(act, orders)
    return ks


def kernel(act, orders: tuple[int, ...]):
    """The compiled kernel function for ``act`` (cached)."""
    key = _key(act, orders)
    fn = _CACHE.get(key)
    if fn is None:
        fn = _CACHE[key] = load(generate_cached(act, orders))
    return fn
