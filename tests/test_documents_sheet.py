"""The formula sheet: compiles, names every activation, Markdown with plots, reproducible.

The whole-catalog sheet is built once per session (one latexmk run); the per-activation blocks
compile in one more document (one pdflatex run). The analysis engine's disk cache makes the
properties cheap when `symact build` or the analysis tests ran before.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import symact
from symact.documents import artifacts, latex_block, tex

HAVE_TEX = shutil.which("latexmk") is not None and shutil.which("pdflatex") is not None
needs_tex = pytest.mark.skipif(not HAVE_TEX, reason="latexmk/pdflatex not installed (TeX Live)")


@pytest.fixture(scope="session")
def sheet(tmp_path_factory):
    out = tmp_path_factory.mktemp("sheet")
    # the whole catalog without the analysis engine's properties (minutes when its cache is
    # cold); the properties are typeset and compiled by the subset sheet of the regeneration
    # test, and the full build is checked by test_zz_generated
    result = artifacts.build_sheet(out, compile_pdf=HAVE_TEX, with_properties=False)
    return out, result


def test_tex_compiles_without_error(sheet):
    out, result = sheet
    if not HAVE_TEX:
        pytest.skip("latexmk/pdflatex not installed (TeX Live)")
    assert result.pdf_skipped == "", result.pdf_skipped
    assert (out / "formula_sheet.pdf").read_bytes().startswith(b"%PDF")
    assert result.overfull == [], f"overfull boxes: {result.overfull[:5]}"


@needs_tex
def test_every_name_in_pdf_text(sheet):
    out, _ = sheet
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(out / "formula_sheet.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    missing = [n for n in symact.names() if n not in text]
    assert not missing, f"not in the PDF text: {missing}"
    assert "softplus" in text and "Generated NumPy kernel" in text


def test_markdown_names_and_one_image_each(sheet):
    out, _ = sheet
    md = (out / "formula_sheet.md").read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert sorted(images) == sorted(f"plots/{n}.svg" for n in symact.names())
    for name in symact.names():
        assert f'<a id="act-{name.replace("_", "-")}"></a>' in md
        assert f"## `{name}`" in md
        ET.parse(out / "plots" / f"{name}.svg")  # well-formed
    assert "$$" in md and "$`" in md
    assert "\\begin{cases}" in md


def test_tex_has_structure(sheet):
    out, _ = sheet
    source = (out / "formula_sheet.tex").read_text(encoding="utf-8")
    for needed in (r"\tableofcontents", r"\usepackage", "hyperref", "longtable", "booktabs",
                   r"\pdftrailerid{}", r"\begin{axis}", r"\operatorname{softplus}"):
        assert needed in source
    assert source.count(r"\section{") == len(symact.names()) + 1  # + the summary
    assert "/work/" not in source and "/tmp/" not in source  # no absolute paths


def test_softsign_derivative_is_right(sheet):
    """The typo this sheet exists to prevent: softsign' = (1 - |f|)^2, not 1 - f^2."""
    import sympy as sp

    act = symact.get("softsign")
    f = act.expr
    d = sp.diff(f, act.x)
    for v in (-2, -sp.Rational(1, 3), sp.Rational(1, 2), 3):
        assert sp.simplify(d.subs(act.x, v) - (1 - abs(f.subs(act.x, v))) ** 2) == 0


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


SUBSET = ["relu", "signum", "softsign", "softmax", "sqnl"]


def test_regenerating_gives_identical_files(sheet, tmp_path):
    """A sheet rebuilt from scratch is byte-identical (PDF included); its sections and plots
    are those of the whole-catalog sheet."""
    acts = [symact.get(n) for n in SUBSET]
    first = artifacts.build_sheet(tmp_path / "a", acts=acts, compile_pdf=HAVE_TEX)
    second = artifacts.build_sheet(tmp_path / "b", acts=acts, compile_pdf=HAVE_TEX)
    assert first.pdf_skipped == second.pdf_skipped
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []
    if HAVE_TEX:
        assert "formula_sheet.pdf" in a
    out, _ = sheet
    full_tex = (out / "formula_sheet.tex").read_text(encoding="utf-8")
    full_md = (out / "formula_sheet.md").read_text(encoding="utf-8")
    for name in SUBSET:
        assert a[f"plots/{name}.svg"] == (out / "plots" / f"{name}.svg").read_bytes()
    assert "Derived properties" in a["formula_sheet.md"].decode()
    assert "proved" in a["formula_sheet.md"].decode()
    sub_tex = a["formula_sheet.tex"].decode()
    sub_md = a["formula_sheet.md"].decode()
    for marker_tex, marker_md in ((r"\section{\texorpdfstring{\texttt{relu}}", "## `relu`"),
                                  (r"\section{\texorpdfstring{\texttt{signum}}",
                                   "## `signum`")):
        # definition and derivatives (the full sheet has no properties: see the fixture)
        # (the derivative through the output is a property: compare the displays only)
        head_tex = sub_tex[sub_tex.index(marker_tex):].split(r"\subsection{Properties}")[0]
        displays = re.findall(r"^\\fitdisplay\{f'{0,2}\(x\) = .*\}$", head_tex, flags=re.M)
        assert len(displays) >= 3  # f, f', f''
        assert all(d in full_tex for d in displays)
        head_md = sub_md[sub_md.index(marker_md):].split("### Derivatives")[0]
        assert head_md in full_md


@needs_tex
def test_each_activation_block_compiles_on_its_own(tmp_path):
    """Every `symact latex NAME` block, each in its own section of one document."""
    body = []
    for act in symact.activations():
        body.append(r"\section*{" + act.name.replace("_", r"\_") + "}\n" + latex_block(act))
    source = ("\\documentclass{article}\n\\usepackage{amsmath,amssymb}\n"
              "\\usepackage[margin=1cm,paperheight=200cm]{geometry}\n\\begin{document}\n"
              + "\n".join(body) + "\\end{document}\n")
    (tmp_path / "blocks.tex").write_text(source, encoding="utf-8")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                           "blocks.tex"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, check=False)
    log = (tmp_path / "blocks.log").read_text(encoding="latin-1")
    errors = [line for line in log.splitlines() if line.startswith("!")]
    assert proc.returncode == 0 and not errors, errors[:5]
    standalone = latex_block(symact.get("gelu"), standalone=True)
    (tmp_path / "one.tex").write_text(standalone, encoding="utf-8")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "one.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stdout[-1000:]


def test_without_tex_the_tex_is_still_written(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    reason = tex.latexmk_available()
    assert reason is not None and "latexmk" in reason
    acts = [symact.get("relu"), symact.get("step")]
    result = artifacts.build_sheet(tmp_path, acts=acts)
    assert "latexmk" in result.pdf_skipped and "not found" in result.pdf_skipped
    assert (tmp_path / "formula_sheet.tex").exists()
    assert (tmp_path / "formula_sheet.md").exists()
    assert not (tmp_path / "formula_sheet.pdf").exists()
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == ["relu.svg", "step.svg"]


def test_write_reports_progress_and_skip(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(symact.catalog, "activations", lambda: [symact.get("relu")])
    calls = []
    files = artifacts.write(tmp_path, lambda d, t, label: calls.append((d, t, label)))
    assert tmp_path / "formula_sheet.tex" in files
    assert calls and calls[-1][0] == calls[-1][1]
    assert "formula_sheet.pdf skipped" in capsys.readouterr().err
