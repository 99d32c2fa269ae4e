"""The vector kernels (softmax, softmin, log_softmax, glu) rendered as math by latexify-py.

The vector kernels are not generated ufunc programs but hand-written NumPy functions along an axis
(the string ``SOURCE`` of :mod:`symact.codegen.vector`). :func:`vector_function_ast` parses that
source and executes the requested function symbolically, one component at a time: an array is a
mutable cell holding an *element value*, an expression in the component index (a placeholder
that becomes ``i`` when the function is built) of the inputs ``x[i]`` and ``g[i]``. The
interpreter knows exactly the statement forms that occur there and raises
:class:`VectorMathError` on anything else:

* calls of the other functions of the source are inlined (``_prep``, ``_log_sum_exp``,
  ``_sigmoid``, and ``softmax`` called by softmin and the backward passes); ``_finish(y, ...)``
  returns ``y``; ``if ...: raise`` checks and dtype, shape and axis bookkeeping are skipped;
* ufuncs (``np.exp``, ``np.subtract``, ``*`` ...) build expressions, with ``out=z`` they write the
  cell ``z`` in place; ``np.asarray`` and ``astype`` are the identity (``astype`` copies);
* ``np.max`` / ``np.sum`` along the axis (``keepdims=True``) are scalars: the maximum is named
  ``m = max(x)``, a sum becomes ``sum(<body at j> for j in range(1, n + 1))`` (rendered
  :math:`\\sum_{j=1}^{n}`) and is named ``t_k`` when it is used more than once;
* ``np.where(np.isfinite(m), m, 0.0)`` (the fix-up for infinite maxima) is ``m``, any other
  ``np.where(c, a, b)`` a conditional expression;
* ``np.split(z, 2, axis=axis)`` gives the halves ``a[i] = z[i]``, ``b[i] = z[i + n/2]``;
  ``np.concatenate([u, v], axis=axis)`` returned gives the pair ``(u[i], v[i])``, the components
  ``i`` and ``i + n/2`` of the result.

The result is an ordinary Python function ``f(x, i)`` (order 0) or ``vjp(x, g, i)`` (order 1, the
vector-Jacobian product J^T g) of 1-based sequences ``x``, ``g`` and the free length ``n``: it
returns component ``i`` of the kernel's result, so it can be executed and compared with the
kernel. :func:`vector_kernel_latex` renders it with latexify-py (through
:func:`~.kernelmath.latexify_function`) and writes the left-hand side as
:math:`f(\\mathbf{x})_i` or :math:`(J_f(\\mathbf{x})^\\top \\mathbf{g})_i`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from fractions import Fraction

from .kernelmath import KernelMathError, _const, _tidy, latexify_function

#: the reduction indices of nested sums, outermost first
_LETTERS = "jkl"
_HALF = Fraction(1, 2)
_UFUNC_BIN = {"subtract": ast.Sub, "add": ast.Add, "multiply": ast.Mult, "divide": ast.Div}
_UFUNC_CALL = {"exp": "exp", "log": "log", "abs": "abs", "absolute": "abs"}
_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div)
_META_ATTRS = {"dtype", "ndim", "shape"}
_DTYPES = {"float16", "float32", "float64"}


class VectorMathError(KernelMathError):
    """The vector kernel source uses a construct this interpreter does not understand."""


# ----------------------------------------------------------------------------- values


class _Idx(ast.expr):
    """The component index of an element value (``i``, or ``j`` inside a sum)."""

    _fields = ()


@dataclass(eq=False)
class _Value:
    """An element value (``length`` = its length along the axis as a multiple of n) or a scalar
    reduction (``reduce`` = "sum"/"max" of the element expression ``node`` over ``over``)."""

    node: ast.expr
    length: Fraction | None = None
    reduce: str | None = None
    over: Fraction | None = None
    leaf: str | None = None  # "x" or "g" for the inputs
    name: str | None = None


class _Use(ast.expr):
    """A reference to a value, at the current index shifted by ``shift`` times n."""

    _fields = ()

    def __init__(self, value: _Value, shift: Fraction = Fraction(0)) -> None:
        super().__init__()
        self.value = value
        self.shift = shift


@dataclass(eq=False)
class _Term:
    """An expression (no cell): ``length`` None for scalars and constants."""

    node: ast.expr
    length: Fraction | None


@dataclass(eq=False)
class _Array:
    """A NumPy array: a mutable cell holding an element value."""

    value: _Value
    view: bool = False  # a view into another array (np.split): never written in place


@dataclass(frozen=True)
class _Meta:
    """dtype, shape and axis bookkeeping: not part of the formula."""

    what: str


@dataclass
class _Concat:
    parts: list[_Array]


class _Return(Exception):
    def __init__(self, value: object) -> None:
        super().__init__()
        self.value = value


@dataclass
class _Program:
    values: list[_Value] = field(default_factory=list)

    def new(self, term: _Term) -> _Value:
        value = _Value(term.node, term.length)
        self.values.append(value)
        return value


def _fail(node: ast.AST, what: str) -> VectorMathError:
    return VectorMathError(f"{what}: {ast.unparse(node)!r}")


def _unify(node: ast.AST, *lengths: Fraction | None) -> Fraction | None:
    known = {n for n in lengths if n is not None}
    if len(known) > 1:
        raise _fail(node, "operands of different lengths")
    return known.pop() if known else None


# ----------------------------------------------------------------------------- interpreter


class _Interpreter:
    def __init__(self, source: str, program: _Program) -> None:
        tree = ast.parse(source)
        self.functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
        self.program = program

    # ---- functions and statements
    def call_function(self, name: str, args: list[object], kwargs: dict[str, object]) -> object:
        fdef = self.functions.get(name)
        if fdef is None:
            raise VectorMathError(f"no function {name!r} in the vector kernel source")
        env = self._bind(fdef, args, kwargs)
        try:
            self.block(fdef.body, env)
        except _Return as ret:
            return ret.value
        raise VectorMathError(f"{name} returns nothing")

    def _bind(self, fdef: ast.FunctionDef, args: list[object], kwargs: dict[str, object]
              ) -> dict[str, object]:
        a = fdef.args
        if a.vararg or a.kwarg or a.posonlyargs or a.defaults:
            raise VectorMathError(f"signature of {fdef.name} not supported")
        if len(args) != len(a.args):
            raise VectorMathError(f"{fdef.name}: {len(args)} positional arguments")
        args = [self.stored(v, fdef) for v in args]
        env: dict[str, object] = {p.arg: v for p, v in zip(a.args, args, strict=True)}
        for p, default in zip(a.kwonlyargs, a.kw_defaults, strict=True):
            if p.arg in kwargs:
                env[p.arg] = self.stored(kwargs.pop(p.arg), fdef)
            elif default is not None:
                env[p.arg] = self.expr(default, env)
            else:
                raise VectorMathError(f"{fdef.name}: missing argument {p.arg}")
        if kwargs:
            raise VectorMathError(f"{fdef.name}: unexpected arguments {sorted(kwargs)}")
        return env

    def block(self, body: list[ast.stmt], env: dict[str, object]) -> None:
        for stmt in body:
            self.stmt(stmt, env)

    def stmt(self, stmt: ast.stmt, env: dict[str, object]) -> None:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            return  # docstring
        if isinstance(stmt, ast.With):
            self._with(stmt, env)
        elif isinstance(stmt, ast.If):
            if stmt.orelse or not all(isinstance(s, ast.Raise) for s in stmt.body):
                raise _fail(stmt, "if statement other than a check that raises")
        elif isinstance(stmt, ast.Assign):
            self._assign(stmt, env)
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) \
                and any(k.arg == "out" for k in stmt.value.keywords):
            self.expr(stmt.value, env)  # an in-place ufunc: the effect is the write to out=
        elif isinstance(stmt, ast.Return) and stmt.value is not None:
            raise _Return(self.expr(stmt.value, env))
        else:
            raise _fail(stmt, "statement")

    def _with(self, stmt: ast.With, env: dict[str, object]) -> None:
        for item in stmt.items:
            ctx = item.context_expr
            if not (_is_np_call(ctx, "errstate") and item.optional_vars is None):
                raise _fail(ctx, "context manager")
        self.block(stmt.body, env)

    def _assign(self, stmt: ast.Assign, env: dict[str, object]) -> None:
        if len(stmt.targets) != 1:
            raise _fail(stmt, "chained assignment")
        target, value = stmt.targets[0], self.expr(stmt.value, env)
        if isinstance(target, ast.Name):
            env[target.id] = self.stored(value, stmt)
            return
        if not (isinstance(target, ast.Tuple) and all(isinstance(t, ast.Name)
                                                      for t in target.elts)):
            raise _fail(stmt, "assignment target")
        if not (isinstance(value, tuple) and len(value) == len(target.elts)):
            raise _fail(stmt, "tuple assignment of a non-tuple")
        for t, v in zip(target.elts, value, strict=True):
            env[t.id] = self.stored(v, stmt)  # type: ignore[union-attr]

    # ---- expressions
    def expr(self, node: ast.expr, env: dict[str, object]) -> object:
        if isinstance(node, ast.Name):
            if node.id not in env:
                raise _fail(node, "unbound name")
            return env[node.id]
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                return _Meta(repr(node.value))
            return _Term(_const(float(node.value)), None)
        if isinstance(node, ast.Tuple):
            return tuple(self.expr(e, env) for e in node.elts)
        if isinstance(node, ast.Call):
            return self._call(node, env)
        if isinstance(node, ast.Attribute):
            return self._attribute(node, env)
        if isinstance(node, ast.Subscript):
            if isinstance(self.expr(node.value, env), _Meta):
                return _Meta("item")  # x.shape[axis]
            raise _fail(node, "subscript of an array")
        return self._operator(node, env)

    def _attribute(self, node: ast.Attribute, env: dict[str, object]) -> object:
        if isinstance(node.value, ast.Name) and node.value.id == "np" and node.attr in _DTYPES:
            return _Meta(node.attr)
        if node.attr in _META_ATTRS and isinstance(self.expr(node.value, env), (_Array, _Meta)):
            return _Meta(node.attr)
        raise _fail(node, "attribute")

    def _operator(self, node: ast.expr, env: dict[str, object]) -> object:
        if isinstance(node, ast.BinOp):
            operands = [self.expr(node.left, env), self.expr(node.right, env)]
        elif isinstance(node, ast.UnaryOp):
            operands = [self.expr(node.operand, env)]
        elif isinstance(node, ast.Compare) and len(node.ops) == 1:
            operands = [self.expr(node.left, env), self.expr(node.comparators[0], env)]
        elif isinstance(node, ast.IfExp):
            test = self.expr(node.test, env)
            branches = [self.expr(node.body, env), self.expr(node.orelse, env)]
            if isinstance(test, _Meta) and all(isinstance(b, _Meta) for b in branches):
                return _Meta("choice")  # cdtype = np.float32 if ... else rdtype
            raise _fail(node, "conditional expression")
        else:
            raise _fail(node, "expression")
        if any(isinstance(o, _Meta) for o in operands):
            if not all(isinstance(o, _Meta) or _is_constant(o) for o in operands):
                raise _fail(node, "bookkeeping mixed with array values")
            return _Meta("operation")
        terms = [self.term(o, node) for o in operands]
        if isinstance(node, ast.BinOp) and isinstance(node.op, _OPS):
            new: ast.expr = ast.BinOp(terms[0].node, node.op, terms[1].node)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            new = ast.UnaryOp(ast.USub(), terms[0].node)
        elif isinstance(node, ast.Compare) and isinstance(node.ops[0], (ast.Lt, ast.Gt)):
            new = ast.Compare(terms[0].node, [type(node.ops[0])()], [terms[1].node])
        else:
            raise _fail(node, "operator")
        return _Term(new, _unify(node, *(t.length for t in terms)))

    def term(self, value: object, node: ast.AST) -> _Term:
        """An operand as an expression: an array is a reference to its current value."""
        if isinstance(value, _Term):
            return value
        if isinstance(value, _Array):
            return _Term(_Use(value.value), value.value.length)
        raise _fail(node, f"operand is not an array ({type(value).__name__})")

    def stored(self, value: object, node: ast.AST) -> object:
        """A value bound to a name: an expression becomes an array (a new value)."""
        return self.array(value, node) if isinstance(value, _Term) else value

    def array(self, value: object, node: ast.AST) -> _Array:
        """The result of an array operation: a new array holding a new value."""
        term = self.term(value, node)
        if isinstance(term.node, _Use) and term.node.shift == 0:
            return _Array(term.node.value)
        return _Array(self.program.new(term))

    # ---- calls
    def _call(self, node: ast.Call, env: dict[str, object]) -> object:
        func = node.func
        if isinstance(func, ast.Name):
            return self._call_source(node, func.id, env)
        if not isinstance(func, ast.Attribute):
            raise _fail(node, "call")
        if isinstance(func.value, ast.Name) and func.value.id == "np":
            return self._call_numpy(node, func.attr, env)
        if isinstance(func.value, ast.Name) and func.value.id == "_rt" \
                and func.attr == "result_dtype":
            return _Meta("dtype")
        if func.attr == "astype":  # x.astype(dtype, copy=True): a copy, same values
            arr = self.expr(func.value, env)
            if not isinstance(arr, _Array):
                raise _fail(node, "astype of a non-array")
            return _Array(arr.value)
        raise _fail(node, "method call")

    def _call_source(self, node: ast.Call, name: str, env: dict[str, object]) -> object:
        args = [self.expr(a, env) for a in node.args]
        kwargs = {k.arg: self.expr(k.value, env) for k in node.keywords}
        if None in kwargs:
            raise _fail(node, "** arguments")
        if name == "_finish":  # _finish(y, rdtype, out): y cast to the result dtype
            if not args or not isinstance(args[0], (_Array, _Concat)):
                raise _fail(node, "_finish of a non-array")
            return args[0]
        return self.call_function(name, args, kwargs)  # type: ignore[arg-type]

    def _call_numpy(self, node: ast.Call, fn: str, env: dict[str, object]) -> object:
        kw = {k.arg: k.value for k in node.keywords}
        if fn == "asarray":  # np.asarray(x, dtype=...): the same array
            _check_keywords(node, kw, {"dtype"})
            return self.expr(node.args[0], env)
        if fn in ("max", "sum"):
            return self._reduce(node, fn, kw, env)
        if fn == "where":
            return self._where(node, kw, env)
        if fn == "split":
            return self._split(node, kw, env)
        if fn == "concatenate":
            return self._concatenate(node, kw, env)
        if fn in _UFUNC_BIN or fn in _UFUNC_CALL or fn == "negative":
            return self._ufunc(node, fn, kw, env)
        raise _fail(node, "NumPy function")

    def _check_axis(self, node: ast.Call, kw: dict[str, ast.expr], env: dict[str, object],
                    allowed: set[str]) -> None:
        _check_keywords(node, kw, allowed)
        if "axis" not in kw or not isinstance(self.expr(kw["axis"], env), _Meta):
            raise _fail(node, "not along the kernel's axis")
        keep = kw.get("keepdims")
        if "keepdims" in allowed and not (isinstance(keep, ast.Constant) and keep.value is True):
            raise _fail(node, "reduction without keepdims=True")

    def _reduce(self, node: ast.Call, fn: str, kw: dict[str, ast.expr],
                env: dict[str, object]) -> _Term:
        self._check_axis(node, kw, env, {"axis", "keepdims"})
        if len(node.args) != 1:
            raise _fail(node, "reduction arguments")
        body = self.term(self.expr(node.args[0], env), node)
        if body.length is None:
            raise _fail(node, "reduction of a scalar")
        value = _Value(body.node, None, reduce=fn, over=body.length)
        self.program.values.append(value)
        return _Term(_Use(value), None)

    def _where(self, node: ast.Call, kw: dict[str, ast.expr], env: dict[str, object]) -> _Term:
        _check_keywords(node, kw, set())
        if len(node.args) != 3:
            raise _fail(node, "np.where arguments")
        cond, a, b = node.args
        if _is_np_call(cond, "isfinite") and len(cond.args) == 1 \
                and ast.dump(cond.args[0]) == ast.dump(a) and _is_constant_node(b):
            return self.term(self.expr(a, env), node)  # non-finite fix-up: the value itself
        terms = [self.term(self.expr(e, env), node) for e in (cond, a, b)]
        new = ast.IfExp(terms[0].node, terms[1].node, terms[2].node)
        return _Term(new, _unify(node, *(t.length for t in terms)))

    def _split(self, node: ast.Call, kw: dict[str, ast.expr], env: dict[str, object]
               ) -> tuple[_Array, _Array]:
        self._check_axis(node, kw, env, {"axis"})
        if len(node.args) != 2 or not (isinstance(node.args[1], ast.Constant)
                                       and node.args[1].value == 2):
            raise _fail(node, "split other than in two halves")
        whole = self.expr(node.args[0], env)
        if not isinstance(whole, _Array) or whole.value.length is None:
            raise _fail(node, "split of a non-array")
        half = whole.value.length * _HALF
        parts = []
        for shift in (Fraction(0), half):
            value = _Value(_Use(whole.value, shift), half)
            self.program.values.append(value)
            parts.append(_Array(value, view=True))
        return parts[0], parts[1]

    def _concatenate(self, node: ast.Call, kw: dict[str, ast.expr], env: dict[str, object]
                     ) -> _Concat:
        self._check_axis(node, kw, env, {"axis"})
        if len(node.args) != 1 or not isinstance(node.args[0], ast.List):
            raise _fail(node, "concatenate arguments")
        parts = [self.array(self.expr(e, env), node) for e in node.args[0].elts]
        lengths = {p.value.length for p in parts}
        if len(parts) != 2 or len(lengths) != 1 or None in lengths:
            raise _fail(node, "concatenate other than of two halves")
        return _Concat(parts)

    def _ufunc(self, node: ast.Call, fn: str, kw: dict[str, ast.expr], env: dict[str, object]
               ) -> object:
        _check_keywords(node, kw, {"out"})
        terms = [self.term(self.expr(a, env), node) for a in node.args]
        arity = 2 if fn in _UFUNC_BIN else 1
        if len(terms) != arity:
            raise _fail(node, "ufunc arguments")
        if fn in _UFUNC_BIN:
            new: ast.expr = ast.BinOp(terms[0].node, _UFUNC_BIN[fn](), terms[1].node)
        elif fn == "negative":
            new = ast.UnaryOp(ast.USub(), terms[0].node)
        else:
            new = ast.Call(ast.Name(_UFUNC_CALL[fn], ast.Load()), [terms[0].node], [])
        result = _Term(new, _unify(node, *(t.length for t in terms)))
        if "out" not in kw:
            return result
        out = self.expr(kw["out"], env)
        if not isinstance(out, _Array) or out.view or out.value.length != result.length:
            raise _fail(node, "out= not an array of the result's shape")
        out.value = self.program.new(result)  # in place: every alias of the cell sees it
        return out


def _check_keywords(node: ast.Call, kw: dict[str, ast.expr], allowed: set[str]) -> None:
    if not set(kw) <= allowed:
        raise _fail(node, f"keywords {sorted(set(kw) - allowed)}")


def _is_np_call(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
        and isinstance(node.func.value, ast.Name) and node.func.value.id == "np" \
        and node.func.attr == name


def _is_constant_node(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float))


def _is_constant(value: object) -> bool:
    return isinstance(value, _Term) and not any(
        isinstance(n, (_Use, _Idx)) for n in ast.walk(value.node))


# ----------------------------------------------------------------------------- building


def _multiple_of_n(k: Fraction) -> ast.expr:
    """k n as an expression: n, n / 2, ..."""
    n: ast.expr = ast.Name("n", ast.Load())
    if k.numerator != 1:
        n = ast.BinOp(ast.Constant(k.numerator), ast.Mult(), n)
    return n if k.denominator == 1 else ast.BinOp(n, ast.Div(), ast.Constant(k.denominator))


def _index(letter: str, shift: Fraction) -> ast.expr:
    name = ast.Name(letter, ast.Load())
    return name if shift == 0 else ast.BinOp(name, ast.Add(), _multiple_of_n(shift))


def _is_simple(value: _Value) -> bool:
    node = value.node
    while isinstance(node, ast.UnaryOp):
        node = node.operand
    return isinstance(node, (ast.Constant, ast.Name, ast.Subscript, _Use))


def _refs(node: ast.expr) -> list[_Use]:
    """The references directly in ``node`` (not through the values they refer to)."""
    return [n for n in ast.walk(node) if isinstance(n, _Use)]


class _Builder:
    """Names the shared values and writes the Python function."""

    def __init__(self, program: _Program, roots: list[ast.expr]) -> None:
        self.program = program
        self.roots = roots
        self._name_values()

    def _name_values(self) -> None:
        occurrences: dict[int, int] = {}
        at_top: dict[int, bool] = {}  # every occurrence at the index i, outside reductions

        def count(refs: list[_Use], times: int, top: bool) -> None:
            for ref in refs:
                key = id(ref.value)
                occurrences[key] = occurrences.get(key, 0) + times
                at_top[key] = at_top.get(key, True) and top and ref.shift == 0

        for root in self.roots:
            count(_refs(root), 1, True)
        for value in reversed(self.program.values):  # parents before children
            times = occurrences.get(id(value), 0)
            if times == 0:
                continue  # dead (e.g. the unused derivative of _sigmoid)
            if value.reduce == "max":
                value.name = "m"
            elif value.reduce == "sum" and times > 1:
                value.name = "t"
            elif value.reduce is None and times > 1 and at_top[id(value)] \
                    and not _is_simple(value):
                value.name = "t"
            inner_top = value.reduce is None and at_top[id(value)]
            count(_refs(value.node), 1 if value.name else times, inner_top)
        self.named = [v for v in self.program.values if v.name is not None]
        for prefix in ("m", "t"):
            same = [v for v in self.named if v.name == prefix]
            for k, value in enumerate(same, 1):
                value.name = prefix if prefix == "m" and len(same) == 1 else f"{prefix}{k}"

    def function(self, name: str, inputs: list[str], result: ast.expr) -> ast.Module:
        body: list[ast.stmt] = [
            ast.Assign([ast.Name(v.name, ast.Store())], self.definition(v))  # type: ignore[arg-type]
            for v in self.named]
        body.append(ast.Return(self.render(result, ("i", Fraction(0)), 0)))
        args = ast.arguments(posonlyargs=[], args=[ast.arg(a) for a in inputs + ["i"]],
                             kwonlyargs=[], kw_defaults=[], defaults=[])
        func = ast.FunctionDef(name, args, body, [], None, type_params=[])
        return ast.fix_missing_locations(ast.Module([func], type_ignores=[]))

    def definition(self, value: _Value) -> ast.expr:
        if value.reduce is not None:
            return self.reduction(value, 0)
        return self.render(value.node, ("i", Fraction(0)), 0)

    def render(self, node: ast.expr, index: tuple[str, Fraction], depth: int) -> ast.expr:
        """``node`` as plain Python: the index placeholder replaced, references resolved."""
        if isinstance(node, _Idx):
            return _index(*index)
        if isinstance(node, _Use):
            return self._use(node, index, depth)
        fields = {f: self._field(getattr(node, f, None), index, depth) for f in node._fields}
        return type(node)(**fields)

    def _field(self, v: object, index: tuple[str, Fraction], depth: int) -> object:
        if isinstance(v, list):
            return [self._field(i, index, depth) for i in v]
        if isinstance(v, ast.AST):
            return self.render(v, index, depth)  # type: ignore[arg-type]
        return v

    def _use(self, ref: _Use, index: tuple[str, Fraction], depth: int) -> ast.expr:
        value = ref.value
        if value.reduce is not None:
            if value.name is not None:
                return ast.Name(value.name, ast.Load())
            return self.reduction(value, depth)
        shifted = (index[0], index[1] + ref.shift)
        if value.name is not None:
            if shifted != ("i", 0):
                raise VectorMathError(f"named value {value.name} used at another index")
            return ast.Name(value.name, ast.Load())
        return self.render(value.node, shifted, depth)

    def reduction(self, value: _Value, depth: int) -> ast.expr:
        if value.reduce == "max":  # max(x): the maximum of the components
            return ast.Call(ast.Name("max", ast.Load()), [_vector_form(value.node)], [])
        if depth >= len(_LETTERS):
            raise VectorMathError("sums nested too deeply")
        letter = _LETTERS[depth]
        body = self.render(value.node, (letter, Fraction(0)), depth + 1)
        span = ast.Call(ast.Name("range", ast.Load()), [
            ast.Constant(1), ast.BinOp(_multiple_of_n(value.over), ast.Add(), ast.Constant(1))],
            [])
        gen = ast.GeneratorExp(body, [ast.comprehension(ast.Name(letter, ast.Store()), span, [],
                                                        is_async=0)])
        return ast.Call(ast.Name("sum", ast.Load()), [gen], [])


def _vector_form(node: ast.expr) -> ast.expr:
    """The whole vector an element expression stands for (``x``, ``-x``), for ``max``."""
    if isinstance(node, _Use):
        value = node.value
        if node.shift == 0 and value.leaf is not None and value.length == 1:
            return ast.Name(value.leaf, ast.Load())
        if node.shift == 0 and value.reduce is None:
            return _vector_form(value.node)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return ast.UnaryOp(ast.USub(), _vector_form(node.operand))
    raise VectorMathError(f"maximum of {ast.unparse(node)!r} not supported")


# ----------------------------------------------------------------------------- public


def _source() -> str:
    from ..codegen.vector import SOURCE

    return SOURCE


def _leaf(program: _Program, name: str, length: Fraction) -> _Array:
    value = _Value(ast.Subscript(ast.Name(name, ast.Load()), _Idx(), ast.Load()), length,
                   leaf=name)
    program.values.append(value)
    return _Array(value)


def _run(source: str, name: str, order: int, program: _Program) -> object:
    """Execute kernel ``name`` (order 0) or its vjp (order 1) on the symbolic inputs."""
    interpreter = _Interpreter(source, program)
    args: list[object] = [_leaf(program, "x", Fraction(1))]
    if order == 1:  # g has the shape of the output of the forward kernel
        forward = _run(source, name, 0, _Program())
        if not isinstance(forward, _Array):
            raise VectorMathError(f"{name} does not return an array")
        args.append(_leaf(program, "g", forward.value.length))  # type: ignore[arg-type]
    elif order != 0:
        raise VectorMathError("vector kernels exist for orders 0 and 1")
    kernel = name if order == 0 else f"{name}_vjp"
    return interpreter.call_function(kernel, args, {"axis": _Meta("axis"), "out": _Meta("out")})


def vector_function_ast(name: str, order: int, source: str | None = None) -> ast.Module:
    """A Python function (AST) computing component ``i`` of the vector kernel ``name``.

    Order 0: ``f(x, i)``, order 1: ``vjp(x, g, i)`` (component ``i`` of J^T g). ``x`` and ``g``
    are indexed from 1 and the free name ``n`` is the length of ``x`` along the axis. When the
    kernel concatenates two halves, the function returns the pair of components ``i`` and
    ``i + n/2`` (for i = 1 ... n/2). ``source`` defaults to the real kernel source.
    """
    program = _Program()
    result = _run(source if source is not None else _source(), name, order, program)
    if isinstance(result, _Concat):
        roots: list[ast.expr] = [_Use(p.value) for p in result.parts]
        returned: ast.expr = ast.Tuple(roots, ast.Load())
    elif isinstance(result, _Array):
        returned = _Use(result.value)
        roots = [returned]
    else:
        raise VectorMathError(f"{name} returns {type(result).__name__}, not an array")
    builder = _Builder(program, roots)
    inputs = ["x"] if order == 0 else ["x", "g"]
    return builder.function("f" if order == 0 else "vjp", inputs, returned)


#: the left-hand sides latexify writes for the two signatures, and how the sheet writes them
_SIGNATURES = ("f(x, i) =", r"\mathrm{vjp}(x, g, i) =")
_COMPONENTS = (r"f(\mathbf{x})_{IDX}", r"\left(J_f(\mathbf{x})^\top \mathbf{g}\right)_{IDX}")


def _lhs(order: int, pair: bool) -> str:
    """f(x)_i, or the pair of components i and i + n/2 when the kernel concatenates halves."""
    component = _COMPONENTS[order]
    if not pair:
        return component.replace("IDX", "i") + " ="
    return (r"\mathopen{}\left( " + component.replace("IDX", "i") + ", "
            + component.replace("IDX", "i + n/2") + r" \mathclose{}\right) =")


def vector_kernel_latex(name: str, order: int, source: str | None = None) -> str:
    """LaTeX of the vector kernel ``name`` (order 0) or its vjp (order 1), by latexify-py."""
    module = vector_function_ast(name, order, source)
    tex = _tidy(latexify_function(module, {}))
    tex = re.sub(r"\\mathrm\{m(\d+)\}", r"m_{\1}", tex)
    returned = module.body[0].body[-1]  # type: ignore[attr-defined]
    pair = isinstance(returned, ast.Return) and isinstance(returned.value, ast.Tuple)
    signature = _SIGNATURES[order]
    if signature not in tex:
        raise VectorMathError(f"unexpected left-hand side in {tex!r}")
    return tex.replace(signature, _lhs(order, pair), 1)
