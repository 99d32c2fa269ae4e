"""The verdict on one claim, and :func:`verify`, which decides every claim of a file."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import budget as _budget
from .checks import decide
from .claims import Claim, load

VERDICTS = ("confirmed", "refuted", "undecided")


@dataclass(frozen=True)
class Verdict:
    """What symact concluded about one claim.

    ``verdict`` is ``"confirmed"``, ``"refuted"`` or ``"undecided"``; ``status`` is ``"proved"``
    (every step symbolic) or ``"numeric"`` (numerical search), ``None`` when undecided.
    ``detail`` gives the counterexample (point, value there, claimed value), the true value
    (range, derivative, limit) or the reason it is undecided; ``counterexample`` holds the
    point as data when there is one.
    """

    index: int
    activation: str
    claim: str
    kind: str
    verdict: str
    status: str | None
    detail: str
    note: str = ""
    line: int | None = None
    counterexample: Mapping[str, Any] | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index + 1,
            "activation": self.activation,
            "claim": self.claim,
            "kind": self.kind,
            "verdict": self.verdict,
            "status": self.status,
            "detail": self.detail,
            "counterexample": dict(self.counterexample) if self.counterexample else None,
            "note": self.note,
            "line": self.line,
        }


def check(claim: Claim, budget: float | None = _budget.DEFAULT_BUDGET) -> Verdict:
    """Decide one validated claim."""
    result = decide(claim, budget)
    return Verdict(index=claim.index, activation=claim.label, claim=claim.text,
                   kind=claim.kind, verdict=result.verdict, status=result.status,
                   detail=result.detail, note=claim.note, line=claim.line,
                   counterexample=result.counterexample)


def verify(path_or_claims: str | Path | Sequence[Mapping[str, Any]],
           budget: float | None = _budget.DEFAULT_BUDGET) -> list[Verdict]:
    """Check every claim of a TOML claims file (a path) or of a list of claim tables.

    ``budget`` bounds every symbolic or numeric step, in seconds; a claim that cannot be
    decided within it comes back ``undecided``. Raises :class:`~symact.ClaimError` for a
    malformed file (the message names the claim, its line and the key).
    """
    claims, _ = load(path_or_claims)
    return [check(c, budget) for c in claims]
