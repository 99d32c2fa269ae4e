"""A tiny document model, rendered both as LaTeX and as GitHub Markdown.

The formula sheet is built once as a list of blocks (headings, paragraphs, display math, tables,
figures); :func:`to_latex` and :func:`to_markdown` render the same blocks, so the PDF and the
Markdown carry the same content. Inline content is a list of :data:`Inline` parts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .plots import PlotData, pgfplots

# ------------------------------------------------------------------ inline parts


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Math:
    tex: str


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Link:
    text: str
    anchor: str  # an activation name: sections are labelled by name
    code: bool = True


@dataclass(frozen=True)
class Marked:
    """A numeric result (rendered with a dagger) or an unknown one."""

    parts: tuple
    status: str  # "numeric" or "unknown"


Inline = Text | Math | Code | Link | Marked
Cell = list  # list[Inline]

# ------------------------------------------------------------------ blocks


@dataclass
class Heading:
    level: int  # 1 section, 2 subsection
    text: str
    anchor: str = ""
    code: bool = False


@dataclass
class Para:
    parts: list


@dataclass
class Display:
    """Display math; ``lhs`` is the left-hand side (``f(x)``), ``rhs`` may be long.

    ``lines``, when given, is ``rhs`` broken into lines (each a signed group of terms).
    """

    lhs: str
    rhs: str
    lines: list[str] | None = None


def _display_tex(block: Display) -> str:
    if block.lines and len(block.lines) > 1:
        first, *rest = block.lines
        rows = [f"{block.lhs} &= {first}"] + [rf"&\quad {line}" for line in rest]
        return r"\begin{aligned} " + r" \\ ".join(rows) + r" \end{aligned}"
    return f"{block.lhs} = {block.rhs}" if block.lhs else block.rhs


@dataclass
class Table:
    header: list[str]
    rows: list[list[Cell]]
    widths: list[float]  # fractions of the line width (LaTeX p-columns)
    small: bool = False
    long: bool = False
    tiny: bool = False  # footnotesize (the summary table)


@dataclass
class Figure:
    plot: PlotData
    image: str  # path of the image relative to the Markdown file
    caption: list


@dataclass
class Items:
    items: list[list]


@dataclass
class Raw:
    """LaTeX-only (``tex``) and Markdown-only (``md``) material, e.g. the table of contents."""

    tex: str = ""
    md: str = ""


Block = Heading | Para | Display | Table | Figure | Items | Raw


@dataclass
class Document:
    title: str
    blocks: list = field(default_factory=list)


# ------------------------------------------------------------------ LaTeX

_TEX_ESCAPES = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
}
_UNICODE_TEX = {
    "≈": r"$\approx$", "±": r"$\pm$", "≥": r"$\ge$", "≤": r"$\le$", "→": r"$\to$",
    "−": "-", "×": r"$\times$", "…": r"\ldots{}", "'": "'", "λ": r"$\lambda$",
    "α": r"$\alpha$", "β": r"$\beta$", "∞": r"$\infty$", "√": r"$\sqrt{}$", "²": r"$^2$",
}


def tex_escape(text: str) -> str:
    out = []
    for ch in text:
        if ch in _TEX_ESCAPES:
            out.append(_TEX_ESCAPES[ch])
        elif ch in _UNICODE_TEX:
            out.append(_UNICODE_TEX[ch])
        else:
            out.append(ch)
    return "".join(out)


def tex_code(text: str, breakable: bool = True) -> str:
    """Inline code that may break after punctuation (long framework calls).

    Underscores use the typewriter font's own glyph (``\\symus``), so that text extracted
    from the PDF reads ``leaky_relu``, not ``leaky relu``.
    """
    escaped = tex_escape(text).replace(r"\_", r"\symus{}")
    if not breakable:
        return r"\texttt{" + escaped + "}"
    escaped = re.sub(r"(\\symus\{\}|\.|,|=|\()", r"\1\\allowbreak{}", escaped)
    return r"\texttt{" + escaped + "}"


def anchor_label(anchor: str) -> str:
    return "act:" + anchor


def _inline_tex(parts: Sequence) -> str:
    out = []
    for p in parts:
        if isinstance(p, Text):
            out.append(tex_escape(p.text))
        elif isinstance(p, Math):
            out.append(f"${p.tex}$")
        elif isinstance(p, Code):
            out.append(tex_code(p.text))
        elif isinstance(p, Link):
            label = tex_code(p.text) if p.code else tex_escape(p.text)
            out.append(rf"\hyperref[{anchor_label(p.anchor)}]{{{label}}}")
        elif isinstance(p, Marked):
            inner = _inline_tex(p.parts)
            out.append(inner + r"\textsuperscript{\dag}" if p.status == "numeric"
                       else inner + r"\textsuperscript{?}")
        else:
            raise TypeError(f"unknown inline part {p!r}")
    return "".join(out)


def _cell_tex(parts: Sequence) -> str:
    """A table cell: a formula is scaled down to the cell width when too wide."""
    if len(parts) == 1 and isinstance(parts[0], Math):
        return rf"\fitcell{{{parts[0].tex}}}"
    if len(parts) == 1 and isinstance(parts[0], Marked) and len(parts[0].parts) == 1 \
            and isinstance(parts[0].parts[0], Math):
        mark = r"\dag" if parts[0].status == "numeric" else "?"
        return (rf"\fitcellto{{\dimexpr\linewidth-0.7em\relax}}{{{parts[0].parts[0].tex}}}"
                rf"\textsuperscript{{{mark}}}")
    return _inline_tex(parts)


def block_tex(block: Block) -> str:
    if isinstance(block, Heading):
        cmd = {1: "section", 2: "subsection", 3: "subsubsection"}[block.level]
        title = tex_code(block.text, breakable=False) if block.code else tex_escape(block.text)
        if block.code:
            title = rf"\texorpdfstring{{{title}}}{{{block.text}}}"
        label = rf"\label{{{anchor_label(block.anchor)}}}" if block.anchor else ""
        return rf"\{cmd}{{{title}}}{label}"
    if isinstance(block, Para):
        return _inline_tex(block.parts)
    if isinstance(block, Display):
        return rf"\fitdisplay{{{_display_tex(block)}}}"
    if isinstance(block, Table):
        cols = "".join(rf">{{\raggedright\arraybackslash}}"
                       rf"p{{\dimexpr {w:.3f}\linewidth-2\tabcolsep\relax}}"
                       for w in block.widths)
        head = " & ".join(rf"\textbf{{{tex_escape(h)}}}" for h in block.header) + r" \\"
        rows = [" & ".join(_cell_tex(c) for c in row) + r" \\" for row in block.rows]
        size = r"\footnotesize" if block.tiny else r"\small" if block.small else ""
        if block.long:
            return "\n".join([
                "{" + size + r"\setlength{\tabcolsep}{3pt}",
                rf"\begin{{longtable}}{{@{{}}{cols}@{{}}}}",
                r"\toprule", head, r"\midrule", r"\endfirsthead",
                r"\toprule", head, r"\midrule", r"\endhead",
                r"\bottomrule", r"\endfoot",
                *(r + r" \addlinespace[2pt]" for r in rows),
                r"\end{longtable}}",
            ])
        return "\n".join([
            r"\begin{center}" + size,
            rf"\begin{{tabular}}{{@{{}}{cols}@{{}}}}",
            r"\toprule", head, r"\midrule", *rows, r"\bottomrule",
            r"\end{tabular}",
            r"\end{center}",
        ])
    if isinstance(block, Figure):
        return "\n".join([
            r"\begin{center}",
            pgfplots(block.plot),
            r"\par\smallskip{\small " + _inline_tex(block.caption) + "}",
            r"\end{center}",
        ])
    if isinstance(block, Items):
        if not block.items:
            return ""
        lines = [r"\begin{itemize}"]
        lines += [r"\item " + _inline_tex(item) for item in block.items]
        lines.append(r"\end{itemize}")
        return "\n".join(lines)
    if isinstance(block, Raw):
        return block.tex
    raise TypeError(f"unknown block {block!r}")


def to_latex_body(blocks: Sequence[Block]) -> str:
    return "\n\n".join(t for t in (block_tex(b) for b in blocks) if t) + "\n"


# ------------------------------------------------------------------ Markdown


def md_escape(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>|$])", r"\\\1", text)


def md_math(tex: str) -> str:
    """Inline math GitHub renders: $`...`$ (no clash with Markdown emphasis)."""
    return "$`" + tex.replace("|", r"\vert ") + "`$"


def md_anchor(anchor: str) -> str:
    return "act-" + anchor.replace("_", "-")


def _inline_md(parts: Sequence, in_table: bool = False) -> str:
    out = []
    for p in parts:
        if isinstance(p, Text):
            out.append(md_escape(p.text))
        elif isinstance(p, Math):
            out.append(md_math(p.tex))
        elif isinstance(p, Code):
            out.append("`" + p.text.replace("|", "\\|" if in_table else "|") + "`")
        elif isinstance(p, Link):
            label = f"`{p.text}`" if p.code else md_escape(p.text)
            out.append(f"[{label}](#{md_anchor(p.anchor)})")
        elif isinstance(p, Marked):
            out.append(_inline_md(p.parts, in_table) + (" †" if p.status == "numeric"
                                                        else " ?"))
        else:
            raise TypeError(f"unknown inline part {p!r}")
    return "".join(out)


def block_md(block: Block) -> str:
    if isinstance(block, Heading):
        hashes = "#" * (block.level + 1)
        title = f"`{block.text}`" if block.code else block.text
        anchor = f'<a id="{md_anchor(block.anchor)}"></a>\n\n' if block.anchor else ""
        return f"{anchor}{hashes} {title}"
    if isinstance(block, Para):
        return _inline_md(block.parts)
    if isinstance(block, Display):
        return f"$$\n{_display_tex(block)}\n$$"
    if isinstance(block, Table):
        head = "| " + " | ".join(md_escape(h) for h in block.header) + " |"
        rule = "|" + "|".join(" --- " for _ in block.header) + "|"
        rows = ["| " + " | ".join(_inline_md(c, in_table=True) for c in row) + " |"
                for row in block.rows]
        return "\n".join([head, rule, *rows])
    if isinstance(block, Figure):
        alt = f"{block.plot.name}: f and f'"
        return f"![{alt}]({block.image})\n\n" + _inline_md(block.caption)
    if isinstance(block, Items):
        return "\n".join("- " + _inline_md(item) for item in block.items)
    if isinstance(block, Raw):
        return block.md
    raise TypeError(f"unknown block {block!r}")


def to_markdown(doc: Document) -> str:
    parts = [f"# {doc.title}"]
    parts += [t for t in (block_md(b) for b in doc.blocks) if t]
    return "\n\n".join(parts) + "\n"
