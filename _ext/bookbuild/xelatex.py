"""The LaTeX build's PDF: XeLaTeX runs in the background, and its first error fails the build naming the chapter.

:mod:`bookbuild.pdf` shapes the ``.tex`` that Sphinx's LaTeX builder writes; this module
compiles it, through the Makefile Sphinx writes beside it (``latexmk`` with Sphinx's settings:
xindy, options). The compile starts once the English build has passed, and a translation's
LaTeX build (:mod:`bookbuild.editions`, priority 950) runs meanwhile, on the other core.
``latexmk`` stops at the first LaTeX error. The build then fails naming the chapter whose text
holds the error (found from the labels Sphinx writes at each chapter's start), the line of the
``.tex`` and LaTeX's message, and leaves no PDF behind.

Events: ``builder-inited`` (LaTeX: the TeX tools are there), ``build-finished`` (priority 940,
after the strict check: start XeLaTeX; 955, after the translations: wait for it and check).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)


LABEL = re.compile(r"\\label\{\\detokenize\{([^}:]+)::doc\}\}")
ERROR = re.compile(r"^(?:\./)?(?P<file>[^:\n]+\.tex):(?P<line>\d+): (?P<message>.+)$", re.M)


def chapter_at(tex: str, line: int) -> str | None:
    """The docname whose text holds ``line`` of the assembled ``.tex`` (Sphinx labels each start)."""
    found = None
    for text in tex.splitlines()[:line]:
        m = LABEL.search(text)
        if m:
            found = m.group(1)
    return found


def latex_error(log: str, tex: str, output: str = "") -> str:
    """LaTeX's first error in ``log``, with the chapter and the line it is at (else the end of
    latexmk's ``output``: an index or driver step failed)."""
    m = ERROR.search(log)
    if m is None:
        bang = next((line for line in log.splitlines() if line.startswith("! ")), "")
        tail = "\n".join(output.strip().splitlines()[-15:])
        return bang[2:] or f"with no LaTeX error in its log; latexmk ended:\n{tail}"
    line = int(m.group("line"))
    chapter = chapter_at(tex, line)
    where = f"in chapter {chapter} ({chapter}.md)" if chapter else "before the first chapter"
    return f"{where}, line {line} of {m.group('file')}: {m.group('message')}"


def start_compiling(app, exception) -> None:
    """Start XeLaTeX on the book's .tex, in the background: a translation's LaTeX build (priority
    950) runs meanwhile, on the other core. latexmk writes to a log file, never to a pipe that
    nobody reads until later (a full pipe would stall it)."""
    from bookbuild.strict import passed

    if exception is not None or app.builder.name != "latex" or not passed(app):
        return
    outdir = Path(app.outdir)
    app.bookbuild_pdf_jobs = []
    for entry in app.config.latex_documents:
        stem = Path(entry[1]).stem
        # the Makefile Sphinx writes beside the .tex runs latexmk with Sphinx's settings (xindy, options)
        command = ["make", f"{stem}.pdf", "LATEXOPTS=-interaction=nonstopmode -halt-on-error -file-line-error"]
        logger.info(f"compiling {outdir / stem}.tex with XeLaTeX (latexmk)")
        output = outdir / f"{stem}.latexmk.log"
        with output.open("w") as sink:
            job = subprocess.Popen(command, cwd=outdir, stdout=sink, stderr=subprocess.STDOUT)
        app.bookbuild_pdf_jobs.append((stem, job, output, time.perf_counter()))


def finish_compiling(app, exception) -> None:
    """Wait for XeLaTeX; report a LaTeX error as the build's warning, naming the chapter, and leave no PDF."""
    jobs, app.bookbuild_pdf_jobs = getattr(app, "bookbuild_pdf_jobs", []), []
    if exception is not None:  # the build failed elsewhere: stop compiling
        for _, job, _, _ in jobs:
            job.kill()
            job.wait()
        return
    outdir = Path(app.outdir)
    for stem, job, output, start in jobs:
        job.wait()
        pdf = outdir / f"{stem}.pdf"
        if job.returncode != 0 or not pdf.exists():
            log = outdir / f"{stem}.log"
            printed = output.read_text(errors="replace") if output.exists() else ""
            text = log.read_text(errors="replace") if log.exists() else printed
            tex = (outdir / f"{stem}.tex").read_text(errors="replace")
            pdf.unlink(missing_ok=True)  # never leave a truncated PDF behind
            logger.warning(f"XeLaTeX failed {latex_error(text, tex, printed)}\nThe full log is {log}.",
                           type="bookbuild", subtype="latex")
            continue
        logger.info(f"wrote {pdf} ({pdf.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - start:.0f} s)")


def check_tools(app) -> None:
    from bookbuild.strict import BuildFailed

    if app.builder.name != "latex":
        return
    missing = [tool for tool in ("latexmk", "xelatex") if shutil.which(tool) is None]
    if missing:
        raise BuildFailed(f"the PDF needs {' and '.join(missing)}, which this machine lacks. "
                          "`make pdf` installs the TeX packages README lists (as root), or install them yourself.")


def setup(app) -> None:
    app.connect("builder-inited", check_tools)
    app.connect("build-finished", start_compiling, priority=940)
    app.connect("build-finished", finish_compiling, priority=955)
