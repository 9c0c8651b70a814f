"""The translation catalogs: extract the English prose, update the catalogs, and report their state.

    python -m booktools.i18n update   # _build/gettext/*.pot from the source, then locales/<lang>/*.po
    python -m booktools.i18n status   # per chapter: translated / outdated / untranslated
    python -m booktools.i18n check    # exit 1 if a catalog is out of step with the source,
                                      # or a chapter is not fully translated and not marked pending
    python -m booktools.i18n lint [PO...]  # each translation keeps its message's markup, uses the
                                      # glossary's terms and full-width punctuation

Extraction is Sphinx's gettext builder, run by Jupyter Book's build function on
the book's own ``_config.yml``, reading the English build's execution cache (so
it executes nothing when the book is built). A message is kept only when the
chapter's own Markdown holds it: the API reference's docstrings belong to the
package and stay English in every edition. Catalogs carry no line numbers, so
they change only when the prose does.

A message is *outdated* when its English changed since it was translated
(``sphinx-intl update`` keeps the old translation, marked fuzzy; Sphinx does not
use it, so the page shows the new English, marked). A chapter whose front matter
says ``translation: pending`` may be incomplete.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from booktools.catalog_lint import lint_catalog
from booktools.glossary import glossary
from booktools.toc import toc_files

ROOT = Path(__file__).resolve().parents[2]
PENDING_KEY = "translation"
PENDING_VALUE = "pending"


def languages(root: Path = ROOT) -> list[str]:
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    return list(config["sphinx"]["config"].get("book_translations", {}))


def extract(out: Path, root: Path = ROOT, cache: Path | None = None) -> dict[str, Path]:
    """Write one .pot per chapter into ``out``; return docname -> .pot path."""
    from babel.messages.pofile import read_po, write_po
    from jupyter_book.sphinx import build_sphinx

    cache = cache or root / "_build" / ".jupyter_cache"
    raw = out.parent / f"{out.name}-raw"
    overrides = {"external_toc_path": str(root / "_toc.yml"), "latex_individualpages": False,
                 "nb_execution_cache_path": str(cache.resolve()), "gettext_location": True}
    result = build_sphinx(root, raw, noconfig=True, path_config=str(root / "_config.yml"), confoverrides=overrides,
                          doctreedir=cache.parent / "gettext-doctrees",  # one folder for update and check
                          builder="gettext", really_quiet=True)
    if result != 0:
        raise SystemExit(f"extracting the messages failed ({result}); run `make html` to see why")
    catalogs = {}
    for path in sorted(raw.rglob("*.pot")):
        docname = path.relative_to(raw).with_suffix("").as_posix()
        source = f"{docname}.md"
        if not (root / source).exists():
            continue  # sphinx.pot, the themes' interface: see locales/<language>/LC_MESSAGES/sphinx.po
        with path.open("rb") as f:
            catalog = read_po(f)
        for message in list(catalog):
            if message.id and not any(Path(file).as_posix().endswith(source) for file, _ in message.locations):
                del catalog[message.id]  # a docstring of the package, not the chapter's prose
            elif message.id:
                message.locations = []
                message.flags -= FORMAT_FLAGS
        target = out / f"{docname}.pot"
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as f:
            write_po(f, catalog, width=0, omit_header=False)
        catalogs[docname] = target
    return catalogs


def po_path(docname: str, language: str, root: Path = ROOT) -> Path:
    return root / "locales" / language / "LC_MESSAGES" / f"{docname}.po"


# Babel guesses that "68 % of" is a Python format string; prose has none, and a
# false flag makes `msgfmt --check` reject a translation that writes 68%.
FORMAT_FLAGS = {"python-format", "python-brace-format"}


def update(root: Path = ROOT, cache: Path | None = None) -> None:
    from babel.messages.pofile import read_po, write_po

    cache = cache or root / "_build" / ".jupyter_cache"
    pot = cache.parent / "gettext"
    extract(pot, root, cache)
    for language in languages(root):
        subprocess.run([sys.executable, "-m", "sphinx_intl", "update", "-p", str(pot), "-l", language,
                        "-d", str(root / "locales"), "-w", "0"], check=True)
        for po in sorted((root / "locales" / language).rglob("*.po")):
            with po.open("rb") as f:
                catalog = read_po(f)
            if any(m.flags & FORMAT_FLAGS for m in catalog):
                for message in catalog:
                    message.flags -= FORMAT_FLAGS
                with po.open("wb") as f:
                    write_po(f, catalog, width=0)


@dataclass
class Counts:
    translated: int = 0
    outdated: int = 0
    untranslated: int = 0

    @property
    def total(self) -> int:
        return self.translated + self.outdated + self.untranslated


def counts(po: Path) -> Counts:
    """How many of a catalog's messages are translated, outdated (fuzzy) and untranslated."""
    from babel.messages.pofile import read_po

    result = Counts()
    if not po.exists():
        return result
    with po.open("rb") as f:
        for message in read_po(f):
            if not message.id:
                continue
            if message.fuzzy:
                result.outdated += 1
            elif message.string:
                result.translated += 1
            else:
                result.untranslated += 1
    return result


def front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        return {}
    return yaml.safe_load(text[4:text.index("\n---", 4)]) or {}


def is_pending(docname: str, root: Path = ROOT) -> bool:
    return front_matter(root / f"{docname}.md").get(PENDING_KEY) == PENDING_VALUE


def chapters(root: Path = ROOT) -> list[str]:
    return [p.relative_to(root).with_suffix("").as_posix() for p in toc_files(root) if p.suffix == ".md"]


def status_rows(language: str, root: Path = ROOT) -> list[tuple[str, Counts, bool]]:
    return [(d, counts(po_path(d, language, root)), is_pending(d, root)) for d in chapters(root)]


def problems(root: Path = ROOT, cache: Path | None = None) -> list[str]:
    """Why `make test` should fail: catalogs out of step with the source, or chapters not translated."""
    from babel.messages.pofile import read_po

    found = []
    cache = cache or root / "_build" / ".jupyter_cache"
    pots = extract(cache.parent / "gettext-check", root, cache)
    for language in languages(root):
        for docname in chapters(root):
            po = po_path(docname, language, root)
            if docname not in pots:
                continue
            with pots[docname].open("rb") as f:
                wanted = {m.id for m in read_po(f) if m.id}
            if not po.exists():
                found.append(f"{po.relative_to(root)} is missing: run `make i18n`")
                continue
            with po.open("rb") as f:
                have = {m.id for m in read_po(f) if m.id}
            if wanted != have:
                found.append(f"{po.relative_to(root)} is out of step with {docname}.md "
                             f"({len(wanted - have)} new, {len(have - wanted)} gone): run `make i18n`")
                continue
            c = counts(po)
            if (c.outdated or c.untranslated) and not is_pending(docname, root):
                found.append(f"{po.relative_to(root)}: {c.outdated} outdated and {c.untranslated} untranslated "
                             f"messages; translate them, or mark the chapter `{PENDING_KEY}: {PENDING_VALUE}` "
                             f"in its front matter")
    return found


def print_status(root: Path = ROOT) -> None:
    for language in languages(root):
        print(f"{language}: {'chapter':<34} translated  outdated  untranslated")
        for docname, c, pending in status_rows(language, root):
            note = "  (pending)" if pending else ""
            print(f"{'':{len(language) + 2}}{docname:<34} {c.translated:>10} {c.outdated:>9} "
                  f"{c.untranslated:>13}{note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["update", "status", "check", "lint"])
    parser.add_argument("catalogs", nargs="*", type=Path, help="lint: these .po files (default: all)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the book (default: this repository)")
    parser.add_argument("--cache", type=Path, default=None,
                        help="update, check: the built book's execution cache (default: ROOT/_build/.jupyter_cache)")
    args = parser.parse_args(argv)
    if args.command == "lint":
        terms = glossary()
        found = []
        for po in args.catalogs or sorted((ROOT / "locales").rglob("*.po")):
            found += lint_catalog(po, terms)
            c = counts(po)
            print(f"{po}: {c.translated} translated, {c.outdated} outdated, {c.untranslated} untranslated")
        for line in found:
            print(line)
        return 1 if found else 0
    if args.command == "update":
        update(args.root.resolve(), args.cache.resolve() if args.cache else None)
        print_status(args.root.resolve())
    elif args.command == "status":
        print_status(args.root.resolve())
    else:
        found = problems(args.root.resolve(), args.cache.resolve() if args.cache else None)
        for line in found:
            print(line)
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
