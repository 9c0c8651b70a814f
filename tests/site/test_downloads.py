"""Every chapter's downloaded notebook runs outside the book and prints what its page shows.

A learner's machine is played by a fresh virtual environment holding only
torch, matplotlib, ipykernel and nbclient (no myst-nb, no Jupyter Book, no
scratchbook). Each notebook the site offers is run there top to bottom,
offline (pip may not reach any index), from a copy of the site's folders: its
first cell must install the scratchbook wheel the site ships, then every cell
must print exactly what the published notebook shows. This is also the book's
determinism check: a second, independent execution of every chapter. And it is
the run of each page's own code: the notebook's cells after the set-up cell are
the page's visible cells (test_page_code.py), and the set-up cell's names are
dropped before they run, as in a fresh kernel.
"""

from __future__ import annotations

import ast
import copy
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from bookbuild.cachekey import MARK
from bookbuild.kernels import KERNEL_ENV
from booktest import ROOT, cell_outputs_text, chapter_docnames, longest_first, same_up_to_rounding
from booktools import torch_index

# A learner's machine: versions from constraints.txt; scikit-learn for Part IV's real data
PACKAGES = ["torch==2.13.0", "matplotlib", "ipykernel", "nbclient", "scikit-learn"]
RUNNER = """
import ast, sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
# after the set-up cell, its names are dropped: the page's own cells then run as a reader's copy
# of the page does in a fresh kernel, and a name only the set-up cell binds fails (test_page_code.py)
first = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
tree = ast.parse(nb.cells[first].source)
bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
bound |= {a.asname or a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
          for a in n.names}
bound |= {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
forget = f"for _name in {sorted(bound)!r}:\\n    globals().pop(_name, None)\\nglobals().pop('_name')"
nb.cells.insert(first + 1, nbformat.v4.new_code_cell(forget))
NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True).execute()
del nb.cells[first + 1]
nbformat.write(nb, sys.argv[2])
"""


def chapters_with_code() -> list[str]:
    """The chapters a reader runs (the appendix's status page reports the build itself)."""
    return [d for d in chapter_docnames() if not d.startswith("book/appendix/")]


def downloaded(book, docname: str):
    return nbformat.read(book.html / "_sources" / f"{docname}.ipynb", as_version=4)


def uses_the_build(source: str) -> bool:
    """The code imports myst_nb or calls glue, anywhere in it."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("myst_nb"):
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "glue":
            return True
    return False


def is_setup(cell) -> bool:
    return "setup" in cell.metadata.get("tags", [])


def learner_cache() -> Path:
    """Where the learner's packages are kept between runs: BOOK_LEARNER_CACHE, else the user's cache folder."""
    if os.environ.get("BOOK_LEARNER_CACHE"):
        return Path(os.environ["BOOK_LEARNER_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "linear-regression-from-scratch"


def purelib(python: Path) -> str:
    """The site-packages folder of an environment, which pip installs into."""
    return subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True, env=clean_env()).stdout.strip()


@pytest.fixture(scope="session")
def learner_packages() -> str:
    """The site-packages folder of an environment holding only PACKAGES, built once per lock.

    It is keyed by the lock, the package list, the index and this Python, and kept
    in the user's cache folder, so every clone and every run with the same lock
    reuses it. Nothing is installed into it after it is built: each run gets its
    own environment on top of it (``clean_python``), so runs never disturb each other.
    """
    index = torch_index.pip_arguments()  # the CPU build of torch on Linux, as the book's set-up installs it
    key = hashlib.sha256((ROOT / "constraints.txt").read_bytes() + " ".join(
        PACKAGES + index + [sys.version]).encode()).hexdigest()[:16]
    base, cache = learner_cache() / f"learner-{key}", learner_cache()
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / f"learner-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second run waits while the first builds it
        if not (base / "complete").exists():
            shutil.rmtree(base, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(base)], check=True)
            subprocess.run([str(base / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-compile", *index,
                            "-c", str(ROOT / "constraints.txt"), *PACKAGES], check=True, env=clean_env())
            (base / "complete").write_text(" ".join(PACKAGES + index) + "\n")
    return purelib(base / "bin" / "python")


@pytest.fixture(scope="session")
def clean_python(learner_packages, tmp_path_factory) -> Path:
    """A learner's new environment: PACKAGES importable, pip working, no scratchbook and nothing of the book."""
    venv = tmp_path_factory.mktemp("learner") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    # the kept packages (pip among them) come after this environment's own, which pip installs into
    Path(purelib(python), "learner-packages.pth").write_text(f"{learner_packages}\n")
    found = subprocess.run([str(python), "-c", "import importlib.util as u; print(u.find_spec('scratchbook'))"],
                           check=True, capture_output=True, text=True, env=clean_env()).stdout.strip()
    assert found == "None", f"the learner's environment already has scratchbook: {found}"
    return python


def uninstall_scratchbook(python: Path) -> None:
    """A learner's machine has no scratchbook yet; the notebook must install it."""
    subprocess.run([str(python), "-m", "pip", "uninstall", "--quiet", "--yes", "scratchbook"],
                   check=True, capture_output=True, env=clean_env())


def clean_env(offline: bool = False) -> dict[str, str]:
    """The environment of a learner's shell: none of the book's paths, the book's kernel settings."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "BOOK_BUILD")}
    env.update(KERNEL_ENV)
    if offline:
        env["PIP_NO_INDEX"] = "1"  # pip may install only files it is given
        env["PIP_FIND_LINKS"] = ""
    return env


def site_copy(book, tmp: Path) -> Path:
    """The site's wheel folder and its notebook folder, as a reader who saved the site has them."""
    shutil.copytree(book.html / "_downloads", tmp / "_downloads")
    shutil.copytree(book.html / "_sources", tmp / "_sources", ignore=shutil.ignore_patterns("*.md", "*.txt"))
    return tmp


def run(python: Path, notebook: Path):
    out = notebook.with_suffix(".rerun.ipynb")
    proc = subprocess.run([str(python), "-c", RUNNER, str(notebook), str(out)], cwd=notebook.parent,
                          capture_output=True, text=True, env=clean_env(offline=True), timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return nbformat.read(out, as_version=4)


@pytest.fixture(scope="module")
def reruns(book, clean_python, tmp_path_factory):
    """Each chapter's downloaded notebook, run in the clean environment: docname -> (published, rerun)."""
    site = site_copy(book, tmp_path_factory.mktemp("site"))
    docnames = chapters_with_code()
    paths = {d: site / "_sources" / f"{d}.ipynb" for d in docnames}
    *rest, first = longest_first(book.build, docnames)
    results = {first: run(clean_python, paths[first])}  # the shortest installs the wheel, alone
    # a chapter that starts processes of its own (with a deadline) runs alone, after the others
    alone = [d for d in rest if "torch.distributed" in (ROOT / f"{d}.md").read_text(encoding="utf-8")]
    shared = [d for d in rest if d not in alone]
    with ThreadPoolExecutor(2) as pool:  # the others find it installed, longest first
        results.update(zip(shared, pool.map(lambda d: run(clean_python, paths[d]), shared), strict=True))
    results.update({d: run(clean_python, paths[d]) for d in alone})
    return {d: (downloaded(book, d), results[d]) for d in docnames}, first


@pytest.mark.parametrize("docname", chapters_with_code())
def test_downloaded_notebook_holds_no_build_machinery(book, docname):
    nb = downloaded(book, docname)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert is_setup(next(c for c in nb.cells if c.cell_type == "code")), "the first code cell is not the set-up"
    assert not [s for s in code if s.startswith(MARK)], "the build's cache-key cell is in the download"
    assert not [s for s in code if uses_the_build(s)], "myst_nb or glue is in the download"
    assert not [o for c in nb.cells for o in c.get("outputs", []) if "scrapbook" in o.get("metadata", {})]


@pytest.mark.parametrize("docname", chapters_with_code())
def test_downloaded_notebook_runs_offline_in_a_clean_environment_and_prints_what_the_page_shows(reruns, docname):
    published, rerun = reruns[0][docname]
    pairs = [(a, b) for a, b in zip(published.cells, rerun.cells, strict=True)
             if a.cell_type == "code" and not is_setup(a)]
    for i, (_, cell) in enumerate(pairs):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors or "raises-exception" in cell.metadata.get("tags", []), \
            f"code cell {i} failed: {errors[0].ename}: {errors[0].evalue}"
    changed = [i for i, (a, b) in enumerate(pairs) if not same_output(a, b)]
    first = (f"\npublished: {cell_outputs_text(pairs[changed[0]][0])[:500]!r}"
             f"\nrerun:     {cell_outputs_text(pairs[changed[0]][1])[:500]!r}") if changed else ""
    assert changed == [], f"code cells whose output differs from the published notebook: {changed}{first}"


def same_output(published, rerun) -> bool:
    """The same text; numbers may differ only in their last float32 digits (see same_up_to_rounding).

    LAPACK's least-squares solvers, and every number computed from their
    results later in a chapter, can round their last float32 digits
    differently in another process; the chapters print such numbers rounded,
    and this guards the rest.
    """
    a, b = cell_outputs_text(published), cell_outputs_text(rerun)
    return a == b or same_up_to_rounding(a, b)


def test_setup_cell_installs_the_sites_wheel_once_then_stays_quiet(reruns):
    results, first = reruns
    setup_output = {d: cell_outputs_text(next(c for c in rerun.cells if is_setup(c))) for d, (_, rerun) in
                    results.items()}
    assert setup_output[first].startswith("installing ") and "_downloads/scratchbook-" in setup_output[first]
    assert all(text == "" for d, text in setup_output.items() if d != first), setup_output


def test_setup_cell_without_a_reachable_wheel_stops_with_one_sentence_and_the_command(book, clean_python, tmp_path):
    uninstall_scratchbook(clean_python)
    nb = downloaded(book, chapters_with_code()[0])
    setup = next(c for c in nb.cells if is_setup(c))
    lone = nbformat.v4.new_notebook(cells=[copy.deepcopy(setup)], metadata=nb.metadata)
    lone.cells[0].outputs = []
    path = tmp_path / "lone.ipynb"  # no _downloads folder anywhere above it, and no index
    nbformat.write(lone, path)
    (error,) = [o for o in run(clean_python, path).cells[0].outputs if o.output_type == "error"]
    assert error.ename == "SystemExit"
    assert error.evalue.startswith("Could not install ") and "pip install " in error.evalue
    assert "\n" not in error.evalue and "Traceback" not in error.evalue
