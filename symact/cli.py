"""The `symact` command line: list, show, define, latex, verify and build.

User errors print one line to stderr and exit with status 2; no tracebacks.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import sympy as sp

from . import catalog
from .errors import SymactError
from .model import Activation


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse's default status)
        self.exit(2, f"symact: error: {message}\n")


def _params(pairs: list[str] | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise SymactError(f"parameter {pair!r} is not of the form name=value")
        values[key.strip()] = value.strip()
    return values


def _formula(act: Activation) -> str:
    return sp.sstr(act.expr)


def cmd_list(args: argparse.Namespace) -> int:
    acts = catalog.activations()
    w_name = max(len(a.name) for a in acts)
    w_alias = max(len(", ".join(a.aliases)) for a in acts)
    for act in acts:
        kind = " [vector]" if act.is_vector else ""
        print(f"{act.name:<{w_name}}  {', '.join(act.aliases):<{w_alias}}  {_formula(act)}{kind}")
    return 0


def describe(act: Activation) -> str:
    """The definition block of ``symact show``: formula, parameters, references, conventions."""
    lines = [f"{act.name}" + (f" (aliases: {', '.join(act.aliases)})" if act.aliases else "")]
    if act.description:
        lines.append(f"  {act.description}")
    lines.append(f"  f(x) = {_formula(act)}" if not act.is_vector
                 else f"  f(x)_i = {_formula(act)}  [vector-valued: {act.vector.output}]")
    if act.params:
        lines.append("  parameters:")
        for name, symbol in act.params.items():
            assumptions = [k for k in ("positive", "nonnegative", "negative", "nonpositive")
                           if symbol.assumptions0.get(k)]
            lines.append(f"    {name} = {act.defaults.get(name, '(no default)')}"
                         f"  ({', '.join(assumptions) or 'real'})")
    if act.bound:
        lines.append("  bound: " + ", ".join(f"{k}={v}" for k, v in act.bound.items()))
    for c in act.constraints:
        lines.append(f"  constraint: {c}")
    if act.reference:
        lines.append(f"  reference: {act.reference}")
    for fw, ref in sorted(act.frameworks.items()):
        note = f"  -- {ref.note}" if ref.note else ""
        lines.append(f"  {fw}: {ref.call}{note}")
    for conv in act.conventions:
        lines.append(f"  convention: {conv}")
    return "\n".join(lines)


def _show(act: Activation, args: argparse.Namespace) -> int:
    print(describe(act))
    from .analysis import analyze, format_properties

    props = analyze(act.with_defaults(), budget=args.budget)
    print()
    print(format_properties(props))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    act = catalog.get(args.name, **_params(args.param))
    return _show(act, args)


def cmd_define(args: argparse.Namespace) -> int:
    from .define import define

    act = define(args.expr, name=args.name, **_params(args.param))
    return _show(act, args)


def cmd_latex(args: argparse.Namespace) -> int:
    act = catalog.get(args.name, **_params(args.param))
    from .documents import latex_block

    print(latex_block(act, standalone=args.standalone))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from .verify.cli import run

    return run(args.file, as_json=args.json, markdown=args.markdown)


def cmd_build(args: argparse.Namespace) -> int:
    from .build import build

    build(args.out, stages=args.only or None)
    return 0


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="symact", description="Symbolic derivation engine for activation "
                     "functions: properties, NumPy kernels, formula sheets, claim checks.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("list", help="every catalog activation: name, aliases, formula")
    p.set_defaults(func=cmd_list)

    for name, func, helptext in (
        ("show", cmd_show, "definition and derived properties of one activation"),
        ("latex", cmd_latex, "the LaTeX block of one activation"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("name", help="catalog name or alias")
        p.add_argument("-p", "--param", action="append", metavar="K=V",
                       help="bind a parameter, e.g. -p alpha=0.5 (repeatable)")
        p.set_defaults(func=func)
        if name == "show":
            p.add_argument("--budget", type=float, default=20.0,
                           help="seconds allowed per symbolic step (default 20)")
        else:
            p.add_argument("--standalone", action="store_true",
                           help="a complete LaTeX document")

    p = sub.add_parser("define", help="analyse a user expression, e.g. 'x*tanh(softplus(x))'")
    p.add_argument("expr")
    p.add_argument("--name", default=None)
    p.add_argument("-p", "--param", action="append", metavar="K=V",
                   help="declare a parameter with its default, e.g. -p beta=1")
    p.add_argument("--budget", type=float, default=20.0)
    p.set_defaults(func=cmd_define)

    p = sub.add_parser("verify", help="check the claims of a TOML claims file")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print the verdicts as JSON")
    p.add_argument("--markdown", metavar="OUT", help="also write a Markdown report to OUT")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("build", help="write everything generated/ holds")
    p.add_argument("--out", default="generated", help="output directory (default generated)")
    p.add_argument("--only", action="append", metavar="STAGE",
                   help="run only this stage (repeatable)")
    p.set_defaults(func=cmd_build)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SymactError as exc:
        print(f"symact: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("symact: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
