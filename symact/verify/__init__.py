"""Verify analytic claims about activations: ``symact.verify(path_or_claims)``.

A claims file is TOML, a list of ``[[claim]]`` tables (see :mod:`symact.verify.claims`). Each
claim is confirmed (proved or numeric), refuted (with a counterexample or the true value) or
undecided (with the reason), never wrongly decided because a step ran out of time.
"""

from __future__ import annotations

from .claims import KINDS, Claim, load
from .report import format_verdicts, verdicts_json, verdicts_markdown
from .verdict import Verdict, check, verify

__all__ = ["KINDS", "Claim", "Verdict", "check", "format_verdicts", "load", "verdicts_json",
           "verdicts_markdown", "verify"]
