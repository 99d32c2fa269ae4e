"""`symact build`: write every artifact of ``generated/``, stage by stage, with a progress bar.

Each stage is a module with ``write(out, report) -> list[Path]``; ``report(done, total, label)``
advances the progress bar. Stages run in dependency order: catalog -> analysis -> kernels ->
verification -> documents (the formula sheet uses all the others).
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import mpmath

from . import catalog

Report = Callable[[int, int, str], None]

#: (stage name, module providing ``write(out, report)``)
STAGES: tuple[tuple[str, str], ...] = (
    ("catalog", "symact.build"),
    ("analysis", "symact.analysis.artifacts"),
    ("kernels", "symact.codegen.artifacts"),
    ("verification", "symact.verify.artifacts"),
    ("documents", "symact.documents.artifacts"),
)


def write(out: Path, report: Report) -> list[Path]:
    """The catalog stage: ``catalog.json``, every definition with its metadata."""
    acts = catalog.activations()
    entries = []
    for i, act in enumerate(acts):
        entries.append(act.to_dict())
        report(i + 1, len(acts), act.name)
    path = out / "catalog.json"
    path.write_text(json.dumps(entries, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
                    encoding="utf-8")
    return [path]


@dataclass
class ProgressBar:
    """A one-line progress bar on a terminal; plain lines when the stream is not a terminal."""

    stream: TextIO
    stage: str = ""
    width: int = 30

    def __call__(self, done: int, total: int, label: str) -> None:
        if not self.stream.isatty():
            return
        frac = done / total if total else 1.0
        filled = int(round(frac * self.width))
        bar = "#" * filled + "-" * (self.width - filled)
        line = f"\r{self.stage:<13}[{bar}] {done:>3}/{total:<3} {label[:28]:<28}"
        self.stream.write(line)
        self.stream.flush()

    def finish(self, message: str) -> None:
        if self.stream.isatty():
            self.stream.write("\r" + " " * 90 + "\r")
        self.stream.write(message + "\n")
        self.stream.flush()


def build(out: Path | str = "generated", stages: list[str] | None = None,
          stream: TextIO | None = None) -> list[Path]:
    """Run the build stages (all by default) into ``out``; returns the files written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stream = stream or sys.stderr
    known = [name for name, _ in STAGES]
    for s in stages or []:
        if s not in known:
            from .errors import SymactError

            raise SymactError(f"unknown build stage {s!r}; stages are: {', '.join(known)}")
    written: list[Path] = []
    # mpmath's precision is global state: fix it so the output never depends on the caller's
    with mpmath.workdps(15):
        for name, module_name in STAGES:
            if stages and name not in stages:
                continue
            written.extend(_run_stage(out, name, module_name, stream))
    return written


def _run_stage(out: Path, name: str, module_name: str, stream: TextIO) -> list[Path]:
    module = importlib.import_module(module_name)
    bar = ProgressBar(stream, name)
    files = module.write(out, bar)
    bar.finish(f"{name:<13} wrote {len(files)} file(s)")
    return files
