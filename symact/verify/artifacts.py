"""The verification stage of ``symact build``: ``seed_claims.md``, the report on the claims of
the seed documents (``claims/seeds.toml`` at the repository root)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import SymactError
from .claims import load
from .report import verdicts_markdown
from .verdict import check

#: the shipped claims, relative to the repository root (symact is installed from the repo)
SEEDS = Path("claims") / "seeds.toml"


def seeds_path() -> Path:
    """``claims/seeds.toml`` next to the ``symact`` package, i.e. at the repository root."""
    path = Path(__file__).resolve().parents[2] / SEEDS
    if not path.is_file():
        raise SymactError(f"{SEEDS} not found at {path.parent.parent}: the verification stage "
                          "needs a source checkout of symact (pip install -e .)")
    return path


def write(out: Path, report: Callable[[int, int, str], None]) -> list[Path]:
    """Check every seed claim and write ``out/seed_claims.md`` (deterministic)."""
    claims, title = load(seeds_path())
    verdicts = []
    for i, claim in enumerate(claims):
        verdicts.append(check(claim))
        report(i + 1, len(claims), claim.label)
    path = Path(out) / "seed_claims.md"
    intro = (f"The claims are in `{SEEDS.as_posix()}`, each with the document and section it "
             f"comes from; check them with `symact verify {SEEDS.as_posix()}`.")
    text = verdicts_markdown(verdicts, title or "Claims of the seed documents", intro)
    path.write_text(text, encoding="utf-8")
    return [path]
