"""The generated NumPy kernel of an activation, rendered as math by latexify-py.

The kernels of :mod:`symact.codegen` are straight-line programs of in-place ufunc calls
(``np.exp(s[0], out=s[0])``, ``np.copyto(o[0], v, where=b[0])``). :func:`kernel_function_ast`
executes such a program symbolically over Python ASTs: every ufunc call becomes the expression it
computes, a masked copy becomes a conditional expression, values used once are inlined and values
used more than once become named temporaries ``t_k``. The result is an ordinary Python function
(as an AST) that latexify-py turns into LaTeX, so the reader sees what the kernel computes, stable
rewrites included. When the code generator is not available, the definition itself is rendered
(and the sheet says so).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from ..model import Activation
from .printer import PARAM_LATEX

_BIN = {"add": ast.Add, "subtract": ast.Sub, "multiply": ast.Mult, "divide": ast.Div,
        "true_divide": ast.Div, "power": ast.Pow}
_CMP = {"less": ast.Lt, "less_equal": ast.LtE, "greater": ast.Gt, "greater_equal": ast.GtE,
        "equal": ast.Eq, "not_equal": ast.NotEq}
_LOGIC = {"logical_and": ast.And, "logical_or": ast.Or}
_CALLS = {"abs": "abs", "absolute": "abs", "maximum": "max", "minimum": "min", "fmax": "max",
          "fmin": "min", "arctan": "arctan"}
#: runtime fix-ups for NaN and infinite inputs: not part of the formula
#: runtime calls that do not change the function computed: special-value fix-ups and the Taylor
#: patches at cancelling zeros (``root_series``: the same values, more accurately)
_IGNORED = {"fix_nan", "fix_inf", "fix_nonfinite", "root_series", "root_table"}


class KernelMathError(Exception):
    """The kernel source uses a construct this renderer does not understand."""


@dataclass
class _Value:
    node: ast.expr
    uses: int = 0
    name: str | None = None


#: NumPy calls in an operand (parameter code) shown as the operator they compute
_OPERATORS = {"divide": ast.Div, "power": ast.Pow}


def _const(value: float) -> ast.expr:
    """A float constant, shown as a small fraction when it is exactly one."""
    if value == int(value) and abs(value) < 1e15:
        node: ast.expr = ast.Constant(abs(int(value)))
    else:
        frac = Fraction(value).limit_denominator(1000)
        if float(frac) == value and frac.denominator > 1:
            node = ast.BinOp(ast.Constant(abs(frac.numerator)), ast.Div(),
                             ast.Constant(frac.denominator))
            return ast.UnaryOp(ast.USub(), node) if frac < 0 else node
        node = ast.Constant(abs(value))
    return ast.UnaryOp(ast.USub(), node) if value < 0 else node


def _key(node: ast.expr) -> str | None:
    """``s[0]`` -> ``"s0"``; ``x`` -> ``"x"``; other expressions -> None."""
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) \
            and isinstance(node.slice, ast.Constant):
        return f"{node.value.id}{node.slice.value}"
    if isinstance(node, ast.Name):
        return node.id
    return None


class _Machine:
    def __init__(self, params: dict[str, str]) -> None:
        self.regs: dict[str, _Value] = {}
        self.order: list[_Value] = []
        self.params = params  # kernel argument name -> display identifier

    def read(self, node: ast.expr) -> ast.expr:
        key = _key(node)
        if key is not None and key in self.regs:
            value = self.regs[key]
            value.uses += 1
            return _Ref(value)
        if isinstance(node, ast.Name):
            return ast.Name(self.params.get(node.id, node.id), ast.Load())
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return _const(float(node.value))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self.read(node.operand)
            if isinstance(inner, ast.Constant):
                return _const(-float(inner.value))
            return ast.UnaryOp(ast.USub(), inner)
        if isinstance(node, ast.BinOp):
            left, right = self.read(node.left), self.read(node.right)
            if isinstance(node.op, ast.Mult):  # (-1.0) * p: -p, as a reader writes it
                return _multiply(left, right)
            if isinstance(node.op, ast.Add) and isinstance(right, ast.UnaryOp) \
                    and isinstance(right.op, ast.USub):  # p1 + -p2: p1 - p2
                return ast.BinOp(left, ast.Sub(), right.operand)
            return ast.BinOp(left, node.op, right)
        if isinstance(node, ast.Compare):  # a condition on the parameters: where=(p == 0.0)
            return ast.Compare(self.read(node.left), list(node.ops),
                               [self.read(c) for c in node.comparators])
        if isinstance(node, ast.BoolOp):
            return ast.BoolOp(node.op, [self.read(v) for v in node.values])
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return ast.UnaryOp(ast.Not(), self.read(node.operand))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and not node.keywords and node.func.attr in _OPERATORS and len(node.args) == 2:
            # (parameter code: np.divide(1.0, p), np.power(p, 2.0) are a / b and a ** b)
            return ast.BinOp(self.read(node.args[0]), _OPERATORS[node.func.attr](),
                             self.read(node.args[1]))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and not node.keywords:
            name = _CALLS.get(node.func.attr, node.func.attr)
            return ast.Call(ast.Name(name, ast.Load()), [self.read(a) for a in node.args], [])
        if isinstance(node, ast.Attribute) and node.attr in ("inf", "pi", "e"):
            return ast.Name({"inf": "infty", "pi": "pi", "e": "e"}[node.attr], ast.Load())
        raise KernelMathError(f"operand {ast.unparse(node)!r}")

    def write(self, dest: ast.expr, node: ast.expr) -> None:
        key = _key(dest)
        if key is None:
            raise KernelMathError(f"destination {ast.unparse(dest)!r}")
        value = _Value(node)
        self.regs[key] = value
        self.order.append(value)

    def branch(self, stmt: ast.If) -> None:
        """The parameter dispatch of a kernel: ``if not isinstance(p, np.ndarray)`` (the scalar
        path; the array path computes the same values), ``if _rt.wide(x)`` (the float64 path)
        and ``if cond: .. else: ..`` on the
        parameters, whose outputs become conditional expressions."""
        if _scalar_test(stmt.test) or _wide_test(stmt.test):
            for s in stmt.body:
                self.step(s)
            return
        saved = dict(self.regs)
        for s in stmt.body:
            self.step(s)
        then, self.regs = self.regs, dict(saved)
        for s in stmt.orelse:
            self.step(s)
        other = self.regs
        test = self.read(stmt.test)
        merged = dict(saved)
        for key in then.keys() & other.keys():
            a, b = then[key], other[key]
            if a is b:
                merged[key] = a
                continue
            a.uses += 1
            b.uses += 1
            value = _Value(ast.IfExp(test, _Ref(a), _Ref(b)))
            merged[key] = value
            self.order.append(value)
        self.regs = merged

    def step(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.If):
            self.branch(stmt)
            return
        if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
            raise KernelMathError(f"statement {ast.unparse(stmt)!r}")
        call = stmt.value
        fn = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(
            call.func, "id", "")
        kw = {k.arg: k.value for k in call.keywords}
        if fn in _IGNORED or (fn.startswith("fix_") and "out" not in kw):
            return
        if fn in ("copyto", "putmask", "select"):
            dest, src = call.args[0], call.args[-1]
            new = self.read(src)
            mask = call.args[1] if fn in ("putmask", "select") else kw.get("where")
            if mask is not None:
                old = self.read(dest)
                new = ast.IfExp(self.read(mask), new, old)
            self.write(dest, new)
            return
        if fn == "erfc_scaled":  # runtime helper: erfc(c x), stable in the tail
            arg = ast.BinOp(self.read(call.args[1]), ast.Mult(), self.read(call.args[0]))
            node = ast.Call(ast.Name("erfc", ast.Load()), [arg], [])
            if len(call.args) > 3:  # with a cofactor p: p erfc(c x)
                node = _multiply(self.read(call.args[3]), node)
            self.write(kw["out"], node)
            return
        if fn == "exp_mul":  # runtime helper: exp(c y) (expm1), c y as a double-double
            arg = _multiply(self.read(call.args[1]), self.read(call.args[0]))
            m1 = len(call.args) > 3 and isinstance(call.args[3], ast.Constant) \
                and call.args[3].value is True
            self.write(kw["out"], ast.Call(ast.Name("expm1" if m1 else "exp", ast.Load()),
                                           [arg], []))
            return
        if fn == "exp_neg_sq":  # runtime helper: exp(-k x^2), x^2 as a double-double
            sq = ast.BinOp(self.read(call.args[0]), ast.Pow(), ast.Constant(2))
            k = self.read(call.args[1])
            arg = ast.UnaryOp(ast.USub(), sq if _is_const(k, 1) else _multiply(k, sq))
            self.write(kw["out"], ast.Call(ast.Name("exp", ast.Load()), [arg], []))
            return
        if fn == "hypot_pow":  # runtime helper: (z^2 + c2)^h, the sum as a double-double
            sq = ast.BinOp(self.read(call.args[0]), ast.Pow(), ast.Constant(2))
            if len(call.args) > 3:  # (k z^2 + c2)^h
                sq = _multiply(self.read(call.args[3]), sq)
            base = ast.BinOp(sq, ast.Add(), self.read(call.args[1]))
            self.write(kw["out"], ast.BinOp(base, ast.Pow(), self.read(call.args[2])))
            return
        if fn == "trig_double":  # runtime helper: sin(2 y) / cos(2 y)
            cosine = isinstance(call.args[1], ast.Constant) and call.args[1].value is True
            arg = _multiply(ast.Constant(2), self.read(call.args[0]))
            self.write(kw["out"], ast.Call(ast.Name("cos" if cosine else "sin", ast.Load()),
                                           [arg], []))
            return
        if fn == "trig_mul":  # runtime helper: sin/cos/sin^2 of c y (or of 2 c y)
            kind = call.args[3].value if isinstance(call.args[3], ast.Constant) else None
            if kind not in ("sin", "cos", "sin_sq", "sin2", "cos2"):
                raise KernelMathError(f"trig_mul kind {ast.unparse(call.args[3])!r}")
            arg = _multiply(self.read(call.args[1]), self.read(call.args[0]))
            if kind.endswith("2"):
                arg = _multiply(ast.Constant(2), arg)
            node = ast.Call(ast.Name("cos" if kind.startswith("cos") else "sin", ast.Load()),
                            [arg], [])
            if kind == "sin_sq":
                node = ast.BinOp(node, ast.Pow(), ast.Constant(2))
            self.write(kw["out"], node)
            return
        if fn == "exp_r":  # runtime helper: exp(z) (float32: the double exp rounded)
            node = ast.Call(ast.Name("exp", ast.Load()), [self.read(call.args[0])], [])
            self.write(kw["out"], node)
            return
        if fn == "sin_sq":  # runtime helper: sin(y)^2
            node = ast.Call(ast.Name("sin", ast.Load()), [self.read(call.args[0])], [])
            self.write(kw["out"], ast.BinOp(node, ast.Pow(), ast.Constant(2)))
            return
        if fn == "two_slopes":  # runtime helper: k_l min(d, 0) + k_r max(d, 0)
            d, kl, kr = (self.read(a) for a in call.args)
            zero = ast.Constant(0)
            node = ast.BinOp(
                _multiply(kl, ast.Call(ast.Name("min", ast.Load()), [d, zero], [])), ast.Add(),
                _multiply(kr, ast.Call(ast.Name("max", ast.Load()), [d, zero], [])))
            self.write(kw["out"], node)
            return
        if fn == "hypot_c":  # runtime helper: hypot(a, c) for a scalar c
            node = ast.Call(ast.Name("hypot", ast.Load()),
                            [self.read(call.args[0]), self.read(call.args[1])], [])
            self.write(kw["out"], node)
            return
        if fn == "exp_poly":  # runtime helper: (p) exp(w), w = F(q(x)) refined as a double-double
            node = ast.Call(ast.Name("exp", ast.Load()), [self.read(call.args[1])], [])
            if len(call.args) > 5:
                node = _multiply(self.read(call.args[5]), node)
            self.write(kw["out"], node)
            return
        if fn == "exp_exp":  # runtime helper: exp(rest + c exp(z)), exp(z) as a double-double
            inner = ast.Call(ast.Name("exp", ast.Load()), [self.read(call.args[1])], [])
            arg = ast.BinOp(self.read(call.args[0]), ast.Add(),
                            _multiply(self.read(call.args[2]), inner))
            self.write(kw["out"], ast.Call(ast.Name("exp", ast.Load()), [arg], []))
            return
        if fn == "div_hypot":  # runtime helper: y / hypot(q y, c), its limit where q y overflows
            self.write(kw["out"], ast.BinOp(self.read(call.args[0]), ast.Div(),
                                            self.read(call.args[1])))
            return
        if fn == "mul_exp":  # runtime helper: p exp(u) from (p, exp(u), u), exact underflow
            node = _multiply(self.read(call.args[0]), self.read(call.args[1]))
            self.write(kw["out"], node)
            return
        if "out" not in kw:
            raise KernelMathError(f"call without out=: {ast.unparse(call)!r}")
        args = [self.read(a) for a in call.args]
        if fn == "multiply":
            node: ast.expr = _multiply(args[0], args[1])
        elif fn in _BIN:
            node = ast.BinOp(args[0], _BIN[fn](), args[1])
        elif fn in _CMP:
            node = ast.Compare(args[0], [_CMP[fn]()], [args[1]])
        elif fn in _LOGIC:
            node = ast.BoolOp(_LOGIC[fn](), args)
        elif fn == "logical_not":
            node = ast.UnaryOp(ast.Not(), args[0])
        elif fn == "clip" and _is_inf(args[2], 1):  # max/min against a scalar, as emitted
            node = ast.Call(ast.Name("max", ast.Load()), args[:2], [])
        elif fn == "clip" and _is_inf(args[1], -1):
            node = ast.Call(ast.Name("min", ast.Load()), [args[0], args[2]], [])
        elif fn == "negative":
            node = ast.UnaryOp(ast.USub(), args[0])
        elif fn == "square":
            node = ast.BinOp(args[0], ast.Pow(), ast.Constant(2))
        elif fn == "reciprocal":
            node = ast.BinOp(ast.Constant(1), ast.Div(), args[0])
        else:
            node = ast.Call(ast.Name(_CALLS.get(fn, fn), ast.Load()), args, [])
        self.write(kw["out"], node)


def _is_inf(node: ast.expr, sign: int) -> bool:
    if sign < 0:
        return isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) \
            and _is_inf(node.operand, 1)
    return isinstance(node, ast.Name) and node.id == "infty"


def _wide_test(node: ast.expr) -> bool:
    """``_rt.wide(x)``: float64 results (the forms shown; float32 results round a plain form
    of the same function)."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
        and node.func.attr == "wide"


def _scalar_test(node: ast.expr) -> bool:
    """``not isinstance(p, np.ndarray) [and ...]``: the dispatch on scalar parameters."""
    parts = node.values if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And) \
        else [node]
    return all(isinstance(p, ast.UnaryOp) and isinstance(p.op, ast.Not)
               and isinstance(p.operand, ast.Call)
               and getattr(p.operand.func, "id", "") == "isinstance" for p in parts)


def _is_const(node: ast.expr, value: int) -> bool:
    if value < 0:
        return isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) \
            and _is_const(node.operand, -value)
    return isinstance(node, ast.Constant) and node.value == value


def _multiply(a: ast.expr, b: ast.expr) -> ast.expr:
    """a * b, written as a / q when b = 1/q and as -a when b = -1 (how a reader writes it)."""
    for u, v in ((a, b), (b, a)):
        if _is_const(v, -1):
            return ast.UnaryOp(ast.USub(), u)
        if isinstance(v, ast.BinOp) and isinstance(v.op, ast.Div) and _is_const(v.left, 1):
            return ast.BinOp(u, ast.Div(), v.right)
        if isinstance(v, ast.BinOp) and isinstance(v.op, ast.Mult) and _is_const(v.left, -1):
            return ast.UnaryOp(ast.USub(), ast.BinOp(u, ast.Mult(), v.right))
    if _constant_like(b) and not _constant_like(a):
        a, b = b, a  # constants first: 2 x rather than x 2
    return ast.BinOp(a, ast.Mult(), b)


def _constant_like(node: ast.expr) -> bool:
    return not any(isinstance(n, (ast.Name, _Ref)) for n in ast.walk(node))


class _Ref(ast.expr):
    """A reference to a value of the program (inlined or named when the function is built)."""

    _fields = ()

    def __init__(self, value: _Value) -> None:
        super().__init__()
        self.value = value


class _Resolve(ast.NodeTransformer):
    def visit__Ref(self, node: _Ref) -> ast.expr:  # noqa: N802 (ast visitor naming)
        value = node.value
        if value.name is not None:
            return ast.Name(value.name, ast.Load())
        return self.visit(_copy(value.node))


def _copy(node: ast.expr) -> ast.expr:
    if isinstance(node, _Ref):
        return _Ref(node.value)
    new = type(node)(**{f: _copy_field(getattr(node, f, None)) for f in node._fields})
    return new


def _copy_field(v):
    if isinstance(v, list):
        return [_copy_field(i) for i in v]
    if isinstance(v, ast.AST):
        return _copy(v)
    return v


def _is_simple(node: ast.expr) -> bool:
    return isinstance(node, (ast.Name, ast.Constant, _Ref)) or (
        isinstance(node, ast.UnaryOp) and isinstance(node.operand, (ast.Name, ast.Constant)))


def kernel_function_ast(core_source: str, function_name: str, params: dict[str, str]
                        ) -> ast.Module:
    """A Python function (AST) computing what the kernel core ``core_source`` computes.

    ``core_source`` is the ``def _NAME_core(x, o, s, b, p_...)`` function of a generated kernel;
    ``params`` maps its parameter arguments (``p_beta``) to display identifiers.
    """
    tree = ast.parse(core_source)
    fdef = next(n for n in tree.body if isinstance(n, ast.FunctionDef))
    machine = _Machine(params)
    for stmt in fdef.body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # docstring
        machine.step(stmt)
    result = machine.regs.get("o0")
    if result is None:
        raise KernelMathError("the kernel writes no output o[0]")
    # name the values used more than once (common subexpressions), inline the others
    body: list[ast.stmt] = []
    k = 0
    for value in machine.order:
        if value is result or value.uses < 2 or _is_simple(value.node):
            continue
        k += 1
        value.name = f"t{k}"
    resolver = _Resolve()
    for value in machine.order:
        if value.name is not None and value is not result:
            body.append(ast.Assign([ast.Name(value.name, ast.Store())],
                                   resolver.visit(_copy(value.node))))
    body.append(ast.Return(resolver.visit(_copy(result.node))))
    args = ast.arguments(posonlyargs=[], args=[ast.arg("x")] + [ast.arg(v) for v in
                         params.values()], kwonlyargs=[], kw_defaults=[], defaults=[])
    func = ast.FunctionDef(function_name, args, body, [], None, type_params=[])
    module = ast.Module([func], type_ignores=[])
    return ast.fix_missing_locations(module)


def latexify_function(module: ast.Module, display: dict[str, str]) -> str:
    """LaTeX of a function AST by latexify-py, identifiers replaced by ``display`` LaTeX."""
    from latexify import codegen, transformers

    tree = transformers.AugAssignReplacer().visit(module)
    tex = codegen.FunctionCodegen(use_math_symbols=True, use_signature=True,
                                  use_set_symbols=False).visit(tree)
    for ident, latex in sorted(display.items(), key=lambda kv: -len(kv[0])):
        tex = tex.replace(r"\mathrm{" + ident.replace("_", r"\_") + "}", latex)
    return tex


@dataclass
class KernelMath:
    latex: str | None
    note: str  # where the rendering comes from, or why there is none


def _display_params(act: Activation) -> dict[str, str]:
    """Kernel argument ``p_NAME`` -> an identifier latexify prints, plus LaTeX replacements."""
    return {f"p_{name}": f"P{i}" for i, name in enumerate(act.params)}


def kernel_math(act: Activation, order: int) -> KernelMath:
    """The kernel of ``act`` (value for order 0, derivative for 1) rendered by latexify-py."""
    if act.is_vector:
        return _vector_kernel_math(act, order)
    try:
        kernel = act.numpy(order)  # cached by the code generator
        source, kname = kernel.source, kernel.__name__
    except Exception as exc:  # no code generator, or no kernel: render the definition
        return _from_definition(act, order, f"kernel unavailable ({type(exc).__name__})")
    core = source.split("\n\n\ndef ")[0]
    if not core.startswith("def _"):
        return _from_definition(act, order, "kernel source not in the expected form")
    params = _display_params(act)
    name = "fprime" if order == 1 else "fsecond" if order == 2 else "f"
    display = {v: _param_tex(k[2:]) for k, v in params.items()}
    display.update({"fprime": "f'", "fsecond": "f''"})
    try:
        module = kernel_function_ast(core, name, params)
        tex = latexify_function(module, display)
    except Exception as exc:  # an unknown construct: say so, never guess
        return _from_definition(act, order, f"kernel not renderable ({type(exc).__name__}: "
                                f"{exc})")
    tex = _tidy(tex)
    return KernelMath(tex, f"generated kernel {kname}, rendered by latexify-py")


def _vector_kernel_math(act: Activation, order: int) -> KernelMath:
    """softmax & co: the kernel source read by :mod:`.vectormath`, rendered by latexify-py."""
    from .vectormath import vector_kernel_latex

    try:
        kname = act.numpy(order).__name__
    except Exception as exc:  # no code generator, or no kernel of this order
        return _vector_fallback(act, order, f"kernel unavailable ({type(exc).__name__})")
    try:
        tex = vector_kernel_latex(act.name, order)
    except Exception as exc:  # an unknown construct: say so, never guess
        return _vector_fallback(act, order, f"kernel not renderable ({type(exc).__name__}: "
                                f"{exc})")
    return KernelMath(tex, f"generated kernel {kname}, rendered by latexify-py")


def _vector_fallback(act: Activation, order: int, reason: str) -> KernelMath:
    """The definition for the value; nothing for the backward pass (not a plain derivative)."""
    if order == 0:
        return _from_definition(act, order, reason)
    return KernelMath(None, reason)


def _param_tex(name: str) -> str:
    if name in PARAM_LATEX:
        return PARAM_LATEX[name]
    return sp.latex(sp.Symbol(name))


def _tidy(tex: str) -> str:
    import re

    tex = re.sub(r"\\mathrm\{t(\d+)\}", r"t_{\1}", tex)
    tex = tex.replace(r"\mathrm{infty}", r"\infty")
    tex = tex.replace("+ -", "- ")  # a + (-c) is a - c
    for name in ("max", "min", "exp", "log", "tanh", "sin", "cos", "arctan", "sinh", "cosh"):
        tex = tex.replace(r"\mathrm{" + name + "}", "\\" + name)
    tex = re.sub(r"\\mathrm\{(log1p|expm1|erfcx|erfc|erf|hypot|sign|sinc|clip)\}", r"\\operatorname{\1}", tex)
    return tex


def _from_definition(act: Activation, order: int, reason: str) -> KernelMath:
    """latexify-py on a plain Python function of the definition (no kernel available)."""
    expr = act.expr
    for _ in range(order):
        expr = sp.diff(expr, act.x)
    params = {name: f"P{i}" for i, name in enumerate(act.params)}
    subs = {sym: sp.Symbol(params[name]) for name, sym in act.params.items()}
    code = sp.pycode(expr.subs(subs), fully_qualified_modules=False)
    name = "fprime" if order == 1 else "fsecond" if order == 2 else "f"
    src = f"def {name}(x{''.join(', ' + p for p in params.values())}):\n    return {code}\n"
    display = {p: _param_tex(n) for n, p in params.items()}
    display.update({"fprime": "f'", "fsecond": "f''"})
    try:
        tex = _tidy(latexify_function(ast.parse(src), display))
    except Exception as exc:
        return KernelMath(None, f"{reason}; the definition is not renderable either ({exc})")
    return KernelMath(tex, f"{reason}: the definition rendered by latexify-py instead")
