"""`make bench`: how long the book takes to build and rebuild, and what each build executes.

Every figure is measured in this run, on a copy of the book in a temporary
folder (the working tree and its cache are not touched):
- cold build (no cache) and the sum of each chapter's own execution time;
- no-op rebuild (median of three); prose-only edit of one chapter; code edit of one chapter;
- a rebuild of every page from the cache, split into the English build and the
  Chinese edition's (which must execute nothing, in under 60% of the English time);
- both PDFs after the site, then again with nothing changed (median of three);
then the other benchmarks (the training checks' overhead, page weight).
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
EXECUTED = re.compile(r"(book/\S+)\.md: Executed notebook in ([\d.]+) seconds")
EDITION = re.compile(r"building the (\S+) edition into .*?the \1 edition is at \S+ \(built in ([\d.]+) s\)", re.S)


def copy_book(target: Path) -> Path:
    target.mkdir(parents=True)
    keep = ["_config.yml", "_toc.yml", "_ext", "book", "src", "locales", "requirements.txt", "pyproject.toml",
            "LICENSE"]
    for name in keep:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy(src, target / name)
    return target


def build(book: Path, label: str, builder: str = "html", **env_extra: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(book / "src"), **env_extra}
    start = time.perf_counter()
    proc = subprocess.run([str(BIN / "jupyter-book"), "build", str(book), "--builder", builder],
                          capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    log = proc.stdout + proc.stderr
    runs = {doc: float(sec) for doc, sec in EXECUTED.findall(log)}
    if proc.returncode != 0:
        print(log[-3000:])
        raise SystemExit(f"{label}: the build failed")
    editions = {}
    for match in EDITION.finditer(log):
        part = match.group(0)
        editions[match.group(1)] = {"wall": float(match.group(2)),
                                    "executed": len(re.findall(r"Executing notebook|Executed notebook", part))}
    return {"label": label, "wall": wall, "runs": runs, "editions": editions, "log": log}


PDF_EDITION = re.compile(r"the (\S+) edition's latex build took ([\d.]+) s")
COMPILED = re.compile(r"wrote (\S+\.pdf) \([\d.]+ MB, (\d+) s\)")


def median_build(book: Path, label: str, repeats: int = 3, **kwargs) -> dict:
    """The same build ``repeats`` times (nothing changes in between): the one of median wall time."""
    runs = sorted((build(book, label, **kwargs) for _ in range(repeats)), key=lambda r: r["wall"])
    return {**runs[len(runs) // 2], "repeats": repeats}


def report_pdf(book: Path) -> None:
    """Both PDFs, built after the site from its doctrees and cache: time, executions, pages."""
    if shutil.which("xelatex") is None:
        print("\nPDF: skipped (no TeX; `make pdf` installs it)")
        return
    pdf = build(book, "PDF of both editions, after the site", builder="latex")
    editions = sum(float(sec) for _, sec in PDF_EDITION.findall(pdf["log"]))
    print(f"\nPDF after the site: {pdf['wall']:.1f} s in all, {len(pdf['runs'])} chapters executed; "
          f"English {pdf['wall'] - editions:.1f} s, translations {editions:.1f} s")
    for path, seconds in COMPILED.findall(pdf["log"]):
        info = subprocess.run(["pdfinfo", path], capture_output=True, text=True).stdout
        pages = re.search(r"Pages:\s+(\d+)", info)
        size = Path(path).stat().st_size / 1e6
        print(f"  {Path(path).name}: {pages.group(1) if pages else '?'} pages, {size:.1f} MB, XeLaTeX {seconds} s")
    again = median_build(book, "PDF again, nothing changed", builder="latex")
    print(f"PDF build with nothing changed (median of {again['repeats']}): {again['wall']:.1f} s  (target <= 15 s)")


def report_editions(reread: dict) -> None:
    """The translated editions against the English build, on a rebuild of every page from the cache."""
    english = reread["wall"] - sum(e["wall"] for e in reread["editions"].values())
    print(f"\nrebuild of every page from the cache: English {english:.1f} s (no execution: "
          f"{len(reread['runs'])} chapters executed)")
    for language, e in reread["editions"].items():
        print(f"  {language} edition: {e['wall']:.1f} s, {e['executed']} chapters executed, "
              f"{e['wall'] / english:.2f} of the English time  (target: 0 executed, < 0.60)")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    if old not in text:
        raise SystemExit(f"cannot edit {path}: {old!r} not found")
    path.write_text(text.replace(old, new, 1))


def report(results: list[dict], cold: dict, standalone: dict) -> None:
    print(f"\n{'build':<44}{'wall s':>8}{'executed':>10}{'vs cold':>9}")
    for r in results:
        print(f"{r['label']:<44}{r['wall']:>8.1f}{len(r['runs']):>10}{r['wall'] / cold['wall']:>9.2f}")
    total = sum(standalone["runs"].values())
    print(f"\nsum of each chapter's standalone execution time (one at a time): {total:.1f} s")
    print(f"parallel cold build wall time / that sum: {cold['wall'] / total:.2f}  (target <= 0.8)")
    english = cold["wall"] - sum(e["wall"] for e in cold["editions"].values())
    print(f"  the English book alone / that sum: {english / total:.2f}  (target <= 0.55)")
    noop = next(r for r in results if r["label"].startswith("no-op"))
    print(f"no-op rebuild (median of {noop['repeats']}) / parallel cold build: {noop['wall'] / cold['wall']:.3f}"
          f"  (target <= 0.05, 0 executed: {len(noop['runs'])} executed)")
    print("\nslowest chapters (standalone):")
    for doc, sec in sorted(standalone["runs"].items(), key=lambda kv: -kv[1])[:5]:
        print(f"  {sec:6.1f} s  {doc}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        standalone = build(copy_book(Path(tmp) / "one-at-a-time"), "cold, one chapter at a time", BOOK_WORKERS="1")
        book = copy_book(Path(tmp) / "parallel")
        cold = build(book, f"cold, parallel ({os.cpu_count()} workers)")
        noop = median_build(book, "no-op rebuild")
        edit(book / "book/toolkit/randn.md", "\n## ", "\nOne more sentence of prose.\n\n## ")
        prose = build(book, "prose edit of book/toolkit/randn")
        edit(book / "book/toolkit/randn.md", "torch.manual_seed(0)", "torch.manual_seed(0)  # edited")
        code = build(book, "code edit of book/toolkit/randn")
        edit(book / "book/scratch/minibatches.md", "#@save\n", "#@save\n# edited\n")
        saved = build(book, "saved-code edit of book/scratch/minibatches")
        for folder in ("html", ".doctrees", "zh", "jupyter_execute"):
            shutil.rmtree(book / "_build" / folder, ignore_errors=True)
        reread = build(book, "every page again, from the cache")
        report([standalone, cold, noop, prose, code, saved, reread], cold, standalone)
        report_editions(reread)
        report_pdf(book)
        print("code edit re-executed:", ", ".join(sorted(code["runs"])) or "nothing")
        print("saved-code edit re-executed:", ", ".join(sorted(saved["runs"])) or "nothing")
        os.environ["BOOK_BUILD"] = str(book / "_build")  # page weight of the site just built
        run_other("bench_pages")
    run_other("bench_checks")


def run_other(name: str) -> None:
    print(f"\n== {name} ==")
    importlib.import_module(name).main()  # this script's folder is on the path already


if __name__ == "__main__":
    main()
