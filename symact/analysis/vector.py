"""Properties of vector-valued activations (softmax family, glu), checked on small lengths."""

from __future__ import annotations

import sympy as sp

from ..budget import attempt
from ..model import Activation
from .facts import Fact, VectorProperties

N = 3


def _zero(e: sp.Expr, seconds: float) -> bool | None:
    got = attempt(lambda: sp.simplify(e), seconds)
    if not got:
        return None
    if got.value == 0:
        return True
    v = attempt(lambda: sp.N(got.value.subs({s: sp.Rational(k + 1, 3) for k, s in
                                             enumerate(sorted(got.value.free_symbols,
                                                              key=str))}), 30), seconds)
    if v and v.value.is_number and abs(v.value) > 1e-20:
        return False
    return None


def _matrix_zero(m: sp.Matrix, seconds: float) -> bool | None:
    results = [_zero(e, seconds) for e in m]
    if all(r is True for r in results):
        return True
    if any(r is False for r in results):
        return False
    return None


def _sig(t: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-t))


def analyze_vector(act: Activation, budget: float) -> VectorProperties:
    seconds = min(budget, 10.0)
    act = act.with_defaults()
    name = act.name
    xs, out = act.vector.build(N if not act.vector.even_length else 4)
    jac = out.jacobian(xs)
    # ---------------------------------------------------------------- Jacobian closed form
    if name in ("softmax", "softmin", "log_softmax"):
        s = out if name != "log_softmax" else out.applyfunc(sp.exp)
        sign = -1 if name == "softmin" else 1
        if name == "log_softmax":
            closed = sp.eye(N) - sp.ones(N, 1) * s.T
            text = "I - 1 s^T (s = softmax(x))"
        else:
            closed = sign * (sp.diag(*s) - s * s.T)
            text = ("diag(s) - s s^T" if sign == 1 else "-(diag(s) - s s^T)") + " (s = f(x))"
        ok = _matrix_zero(jac - closed, seconds)
        jacobian = (Fact({"closed_form": text, "n3": jac}, "proved",
                         "d f_i/d x_j computed and compared with the closed form at n = 3")
                    if ok else Fact.unknown("closed form not confirmed at n = 3"))
    elif name == "glu":
        h = len(xs) // 2
        a, b = xs[:h], xs[h:]
        closed = sp.diag(*[_sig(v) for v in b]).row_join(
            sp.diag(*[a[k] * _sig(b[k]) * (1 - _sig(b[k])) for k in range(h)]))
        ok = _matrix_zero(jac - closed, seconds)
        jacobian = (Fact({"closed_form": "[diag(sigmoid(b)) | diag(a sigmoid(b)(1 - sigmoid(b)))]",
                          "n4": jac}, "proved", "computed and compared at n = 4")
                    if ok else Fact.unknown("closed form not confirmed at n = 4"))
    else:
        jacobian = Fact({"closed_form": None, "n": jac}, "proved", "computed at small n")
    # ---------------------------------------------------------------- shift invariance
    c = sp.Symbol("c", real=True)
    shifted = out.subs({v: v + c for v in xs}, simultaneous=True)
    inv = _matrix_zero(shifted - out, seconds)
    shift = (Fact(inv, "proved", "f(x + c 1) - f(x) simplified (n = 3)" if inv else
                  "f(x + c 1) != f(x) at an exact point") if inv is not None
             else Fact.unknown("shift invariance undecided"))
    # ---------------------------------------------------------------- simplex
    total = _zero(sum(out) - 1, seconds)
    positive = all(e.is_positive for e in out)
    if total is None:
        simplex = Fact.unknown("sum of outputs undecided")
    else:
        simplex = Fact(bool(total and positive), "proved",
                       "outputs positive and summing to 1 (n = 3)" if total and positive
                       else "outputs are not a probability vector")
    # ---------------------------------------------------------------- Jacobian norm bound
    if name in ("softmax", "softmin"):
        # |J_ii| = s_i (1 - s_i), |J_ij| = s_i s_j; with sum s = 1 every Gershgorin row sum is
        # 2 s_i (1 - s_i) <= 1/2. Needs the closed form and the simplex, both proved above.
        ok = jacobian.status == "proved" and simplex.status == "proved" and simplex.value
        bound = (Fact(sp.Rational(1, 2), "proved",
                      "J = ±(diag(s) - s s^T) is symmetric; Gershgorin rows sum to "
                      "2 s_i (1 - s_i) <= 1/2 as s on the simplex; attained at n = 2, x1 = x2")
                 if ok else Fact.unknown("closed form or simplex not proved"))
    elif name == "log_softmax":
        bound = _log_softmax_norm(budget)
    elif name == "glu":
        bound = Fact(sp.oo, "proved", "entry a sigmoid'(b) = a/4 at b = 0 is unbounded in a")
    else:
        bound = Fact.unknown("no norm bound derived for this activation")
    # ---------------------------------------------------------------- scalar relative
    x1, x2 = sp.symbols("x1 x2", real=True)
    relation = Fact.unknown("no scalar relative known")
    if name in ("softmax", "softmin", "log_softmax"):
        ys, o2 = act.vector.build(2)
        o2 = o2.subs({ys[0]: x1, ys[1]: x2})
        if name == "softmax":
            target, text = _sig(x1 - x2), "softmax([x1, x2])_1 = sigmoid(x1 - x2)"
        elif name == "softmin":
            target, text = _sig(x2 - x1), "softmin([x1, x2])_1 = sigmoid(x2 - x1)"
        else:
            target, text = -sp.log(1 + sp.exp(-(x1 - x2))), \
                "log_softmax([x1, x2])_1 = logsigmoid(x1 - x2)"
        ok = _zero(o2[0] - target, seconds)
        if not ok:  # a real e with exp(e) = 1 is 0
            ok = _zero(sp.exp(o2[0] - target) - 1, seconds)
        relation = Fact(text, "proved", "simplified to zero") if ok else \
            Fact.unknown("relation not confirmed")
    elif name == "glu":
        ys, o2 = act.vector.build(2)
        t = sp.Symbol("x", real=True)
        ok = _zero(o2[0].subs({ys[0]: t, ys[1]: t}) - t * _sig(t), seconds)
        relation = Fact("glu([x, x]) = silu(x) = x sigmoid(x); glu([a, b]) = a sigmoid(b)",
                        "proved", "simplified to zero") if ok else \
            Fact.unknown("relation not confirmed")
    return VectorProperties(name=act.name, jacobian=jacobian, shift_invariance=shift,
                            simplex=simplex, jacobian_norm_bound=bound, scalar_relation=relation)



def _log_softmax_norm(budget: float) -> Fact:
    """sup ||I - 1 s^T||_2 over the open simplex. I - 1 s^T is a rank-one update of I with
    1^T s = 1, so J^T J has the eigenvalues 1 (n - 2 times), 0 and n ||s||^2: the norm is
    max(1, sqrt(n) ||s||), and ||s|| < 1 on the open simplex approaches 1 at its vertices. The
    characteristic polynomial is checked symbolically at n = 3."""
    n = sp.Symbol("n", positive=True, integer=True)
    s1, s2 = sp.symbols("s1 s2", real=True)
    lam = sp.Symbol("lam")
    sv = sp.Matrix([s1, s2, 1 - s1 - s2])
    jac = sp.eye(3) - sp.ones(3, 1) * sv.T
    want = lam * (lam - 1) * (lam - 3 * (sv.T * sv)[0])
    got = attempt(lambda: sp.expand((jac.T * jac).charpoly(lam).as_expr() - want), budget)
    if not (got and got.value == 0):
        return Fact(1 + sp.sqrt(n), "proved", "||I - 1 s^T|| <= 1 + ||1|| ||s|| <= 1 + sqrt(n) "
                    "(triangle inequality; not tight)")
    return Fact(sp.sqrt(n), "proved",
                "J = I - 1 s^T with 1^T s = 1: J^T J has eigenvalues 1, 0 and n ||s||^2 "
                "(characteristic polynomial checked at n = 3), so ||J|| = max(1, sqrt(n) ||s||) "
                "< sqrt(n) on the open simplex; the supremum sqrt(n) is approached as one input "
                "dominates, not attained")
