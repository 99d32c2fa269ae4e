"""Formula sheets: LaTeX (compiled to PDF) and Markdown, with plots, from the one definition.

- :func:`latex_block` -- the LaTeX of one activation (``symact latex NAME``);
- :func:`to_latex` -- any activation expression as the sheet prints it;
- :mod:`symact.documents.artifacts` -- ``write(out, report)`` for ``symact build``.
"""

from __future__ import annotations

from .block import latex_block
from .printer import ActivationLatexPrinter, to_latex

__all__ = ["ActivationLatexPrinter", "latex_block", "to_latex"]
