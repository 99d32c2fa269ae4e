"""The documents stage of ``symact build``: the formula sheet as .tex, .pdf and .md with plots.

Writes ``formula_sheet.tex`` (compiled once, with latexmk, to ``formula_sheet.pdf``),
``formula_sheet.md`` and ``plots/NAME.svg`` (one per activation). Without TeX the ``.tex`` and
the Markdown are still written and the reason the PDF was skipped is printed and returned.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import catalog
from ..model import Activation
from . import content, doc, plots, sources, tex

Report = Callable[[int, int, str], None]

TITLE = "symact formula sheet"


@dataclass
class SheetResult:
    files: list[Path] = field(default_factory=list)
    pdf_skipped: str = ""  # why the PDF was not written ("" when it was)
    overfull: list[str] = field(default_factory=list)


def entries(acts: list[Activation] | None = None, report: Report | None = None,
            with_properties: bool = True) -> list[content.Entry]:
    acts = catalog.activations() if acts is None else acts
    known: dict = {}
    if with_properties:
        # catalog activations as defined: the engine's cached catalog run serves them
        names = [a.name for a in acts if not a.user_defined and catalog.is_known(a.name)
                 and catalog.get(a.name) is a]
        if names:
            if report is not None:
                report(0, len(acts) + 1, "properties (analysis engine)")
            known = sources.catalog_properties(names)
    out = []
    for i, act in enumerate(acts):
        if report is not None:
            report(i, len(acts) + 1, act.name)
        out.append(content.prepare(act, with_properties=with_properties,
                                   known_properties=known.get(act.name)))
    return out


def sheet_sources(items: list[content.Entry]) -> tuple[str, str, dict[str, str]]:
    """(LaTeX source, Markdown source, {image path: SVG}) of the sheet for ``items``."""
    document = content.build_document(items)
    latex = tex.document(TITLE, doc.to_latex_body(document.blocks))
    markdown = doc.to_markdown(document)
    images = {e.image: plots.svg(e.plot) for e in items}
    return latex, markdown, images


def build_sheet(out: Path, acts: list[Activation] | None = None, report: Report | None = None,
                compile_pdf: bool = True, with_properties: bool = True) -> SheetResult:
    """Write the formula sheet for ``acts`` (the whole catalog by default) into ``out``.

    ``with_properties=False`` leaves out the analysis engine's results (the sheet says so).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    items = entries(acts, report, with_properties=with_properties)
    latex, markdown, images = sheet_sources(items)
    result = SheetResult()
    for rel, svg in sorted(images.items()):
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(svg, encoding="utf-8")
        result.files.append(path)
    md_path = out / "formula_sheet.md"
    md_path.write_text(markdown, encoding="utf-8")
    tex_path = out / "formula_sheet.tex"
    tex_path.write_text(latex, encoding="utf-8")
    result.files += [md_path, tex_path]
    if not compile_pdf:
        result.pdf_skipped = "PDF compilation not requested"
        return result
    if report is not None:
        n = len(items) + 1
        report(n - 1, n, "compiling PDF (latexmk)")
    compiled = tex.compile_pdf(latex, out / "formula_sheet.pdf")
    if compiled.ok:
        result.files.append(compiled.pdf)
        result.overfull = compiled.overfull or []
    else:
        result.pdf_skipped = compiled.reason
    if report is not None:
        report(len(items) + 1, len(items) + 1, "done")
    return result


def write(out: Path, report: Report) -> list[Path]:
    """``symact build`` stage: write the sheet; say plainly when the PDF was skipped."""
    result = build_sheet(out, report=report)
    if result.pdf_skipped:
        print(f"\nsymact: formula_sheet.pdf skipped: {result.pdf_skipped} "
              "(formula_sheet.tex and formula_sheet.md were written)", file=sys.stderr)
    elif result.overfull:
        print(f"\nsymact: formula_sheet.pdf has {len(result.overfull)} overfull box(es): "
              f"{result.overfull[0]}", file=sys.stderr)
    return sorted(result.files)
