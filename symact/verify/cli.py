"""``symact verify FILE [--json] [--markdown OUT]``: exit 0 (nothing refuted), 1, or 2."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import budget as _budget
from ..errors import ClaimError
from .claims import load
from .report import format_verdicts, verdicts_json, verdicts_markdown
from .verdict import check


def run(file: str | Path, as_json: bool = False, markdown: str | Path | None = None,
        budget: float | None = _budget.DEFAULT_BUDGET) -> int:
    """Check a claims file and print the verdicts; the exit status of ``symact verify``.

    0 when nothing is refuted, 1 when something is, 2 on a malformed file (message on stderr).
    """
    try:
        claims, title = load(file)
    except ClaimError as exc:
        print(f"symact: error: {exc}", file=sys.stderr)
        return 2
    verdicts = [check(c, budget) for c in claims]
    print(verdicts_json(verdicts) if as_json else format_verdicts(verdicts), end="" if as_json
          else "\n")
    if markdown:
        out = Path(markdown)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(verdicts_markdown(verdicts, title or f"Claims of {Path(file).name}"),
                       encoding="utf-8")
    return 1 if any(v.verdict == "refuted" for v in verdicts) else 0
