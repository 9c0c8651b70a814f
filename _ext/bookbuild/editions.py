"""The book's other editions: each language in ``book_translations``, built from the same source and execution.

The English book is built first. When it has passed (nothing reported), each
language is built, in a process of its own, by Jupyter Book's own build
function from the same ``_config.yml``, with that language's overrides
(:func:`overrides`), into ``_build/<folder>/`` (:func:`work_folder`: its own
doctrees and executed notebooks), reading the English build's execution cache,
so it executes nothing. Its pages are then copied into the site under
``<folder>/``. An edition is not built again when nothing it reads changed
(:func:`inputs_digest`, kept beside its build after a success): a no-op
``make html`` costs the English build's check alone. A failed edition is reported through the build's warnings,
each of its own naming the chapter's catalog.

Events: ``build-finished`` (priority 950, after the failed chapters are
unpublished and before the verdict).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from sphinx.util import logging

from bookbuild.translations import is_translation

logger = logging.getLogger(__name__)


def work_folder(app, language: str) -> Path:
    """Where an edition is built: ``_build/<folder>/`` (its doctrees, notebooks, pages)."""
    return Path(app.outdir).parent / app.config.book_translations[language]["folder"]


def build_folders(app, language: str | None, builder: str) -> tuple[Path, Path]:
    """(output folder, doctree folder) of an edition's ``builder`` build: the English book's own
    (``language`` None), or a translation's in its work folder. The editions are built there, and
    :mod:`bookbuild.pdf` finds their PDFs and doctrees there."""
    if language is None:
        return Path(app.outdir).parent / builder, Path(app.doctreedir)
    work = work_folder(app, language)
    return work / builder, work / ".doctrees"


def overrides(app, language: str) -> dict:
    """The Sphinx settings an edition is built with: the English ones, overridden for that language."""
    spec = app.config.book_translations[language]
    work = work_folder(app, language)
    return {
        "language": language,
        "locale_dirs": [str(work / "locales")],
        "external_toc_path": app.config.external_toc_path,
        "latex_individualpages": False,  # Jupyter Book's build function expects it
        "nb_execution_cache_path": str(Path(app.env.mystnb_config.execution_cache_path).resolve()),
        "html_baseurl": (f"{app.config.html_baseurl.rstrip('/')}/{spec['folder']}/"
                         if app.config.html_baseurl else ""),
        **spec.get("config", {}),
    }


GLUE_ROLE = re.compile(r"(\{glue(?::\w*)?\}`)([^`]*)`")


def glue_from_chapter(text: str, docname: str) -> str:
    """Every same-page glue role of a translated text, naming its chapter instead."""
    def named(match: re.Match) -> str:
        role, content = match.groups()
        if "::" in content:
            return match.group(0)
        if role == "{glue:text}`" and ":" not in content:
            content += ":s"  # the text role reads a last ':...' as the format once a path is given
        return f"{role}/{docname}.md::{content}`"
    return GLUE_ROLE.sub(named, text)


def prepare_catalogs(root: Path, language: str, out: Path) -> Path:
    """Copy the language's catalogs into ``out`` (a locale folder) in the form the build reads.

    A translated paragraph is parsed on its own, away from the chapter's
    notebook, so a ``{glue:text}`key``` in it would find no glued value; it is
    copied as the same role naming its chapter (``/book/x.md::key``), which
    myst-nb resolves from the chapter's glue record once the page is read.
    Sphinx compiles these catalogs itself (leaving outdated, fuzzy entries out,
    so their English shows) and re-reads a page when its catalog changes; a
    catalog is rewritten only when its content changed, so an unchanged
    translation costs an incremental build nothing.
    """
    import io

    from babel.messages.pofile import read_po, write_po

    source = root / "locales" / language / "LC_MESSAGES"
    target = out / language / "LC_MESSAGES"
    wanted = set()
    for po in sorted(source.rglob("*.po")):
        domain = po.relative_to(source).with_suffix("").as_posix()
        with po.open("rb") as f:
            catalog = read_po(f)
        if (root / f"{domain}.md").exists():
            for message in catalog:
                if message.id and isinstance(message.string, str):
                    message.string = glue_from_chapter(message.string, domain)
        buffer = io.BytesIO()
        write_po(buffer, catalog, width=0, include_previous=False)
        copy = target / f"{domain}.po"
        wanted.add(copy)
        if not copy.exists() or copy.read_bytes() != buffer.getvalue():
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(buffer.getvalue())
    for stale in target.rglob("*.[pm]o") if target.exists() else []:
        if stale.with_suffix(".po") not in wanted:
            stale.unlink()
    return out


def search_words(root: Path, out: Path) -> Path:
    """A word list for the Chinese search index: the glossary's Chinese terms, so that
    学习率 or 迭代周期 are indexed as words, not as their characters' pieces."""
    from booktools.glossary import glossary

    out.parent.mkdir(parents=True, exist_ok=True)
    words = sorted({term.chinese for term in glossary(root)} | set(SEARCH_WORDS))
    out.write_text("".join(f"{word} 100000\n" for word in words), encoding="utf-8")
    return out


# Terms the chapters use that the glossary does not list (d2l-zh's names for them).
SEARCH_WORDS = ["小批量随机梯度下降", "损失函数", "线性回归", "自动求导", "计算图", "闭式解", "全批量", "均方误差"]


# A translation is built in a process of its own: docutils and Sphinx register
# nodes, roles and directives globally, and a second build in this process would
# find them taken.
CHILD = ("import json, sys\n"
         "from jupyter_book.sphinx import build_sphinx\n"
         "sys.exit(0 if build_sphinx(**json.loads(sys.argv[1])) == 0 else 1)\n")


def inputs_digest(app, language: str, builder: str, arguments: dict) -> str:
    """A digest of everything an edition's build reads: the English doctrees (every page as parsed,
    its outputs and glued values included), the edition's prepared catalogs, its settings, the
    book's configuration, extension, templates and static files, the environment, and the PDFs
    its pages may link to. The same digest as the last successful build means the same pages."""
    import hashlib
    import json

    root = Path(app.srcdir)
    digest = hashlib.sha256()

    def add_tree(folder: Path, pattern: str = "*") -> None:
        found = folder.rglob(pattern) if folder.is_dir() else []
        for path in sorted(p for p in found if p.is_file() and "__pycache__" not in p.parts):
            digest.update(f"{path.relative_to(root) if path.is_relative_to(root) else path}\0".encode())
            digest.update(path.read_bytes())

    digest.update(json.dumps([builder, language, arguments, app.config.book_environment],
                             sort_keys=True, default=str).encode())
    add_tree(Path(app.doctreedir), "*.doctree")
    add_tree(work_folder(app, language) / "locales", "*.po")
    for name in ("_config.yml", "_toc.yml"):
        digest.update((root / name).read_bytes())
    for folder in ("_ext", "book/_static", "book/_templates"):
        add_tree(root / folder)
    add_tree(Path(app.outdir).parent / "pdf", "*.doctrees")
    return digest.hexdigest()


def report_edition_failure(root: Path, language: str, record: Path) -> None:
    """Report a failed edition through the build's warnings: each of its own, naming the chapter's catalog."""
    import json

    messages = json.loads(record.read_text()).get("warnings", []) if record.exists() else []
    catalogs = root / "locales" / language.replace("-", "_") / "LC_MESSAGES"
    for message in messages or ["the build stopped before recording anything (its log is above)"]:
        chapter = re.match(r"(?:.*/)?(book/[^:]+)\.md\b", message)
        where = f" (translated from {(catalogs / chapter[1]).relative_to(root)}.po)" if chapter else ""
        logger.warning(f"the {language} edition: {message}{where}", type="bookbuild", subtype="translation")


def build_translations(app, exception) -> None:
    """Build each translation from the English build's cache, then publish it under the site."""
    from bookbuild.strict import passed

    if exception is not None or app.builder.name not in ("html", "latex") or is_translation(app.config):
        return
    if not passed(app):
        logger.info("the English build reported problems: the translations are not built")
        return
    import json
    import subprocess
    import sys
    import time

    root, site = Path(app.srcdir), Path(app.outdir)
    for language, spec in (app.config.book_translations or {}).items():
        work = work_folder(app, language)
        settings = overrides(app, language)
        logger.info(f"building the {language} edition into {work} "
                    f"(from the execution cache {settings['nb_execution_cache_path']})")
        prepare_catalogs(root, language, work / "locales")
        builder = app.builder.name  # the pages, or the PDF (bookbuild.xelatex compiles it in that build)
        # jieba, the segmenter Sphinx uses for Chinese search, learns the book's terms (pages only)
        if builder == "html" and language.startswith("zh"):
            settings["html_search_options"] = {"dict": str(search_words(root, work / "search-words.txt"))}
        outputdir, doctreedir = build_folders(app, language, builder)
        arguments = {"sourcedir": str(root), "outputdir": str(outputdir), "noconfig": True,
                     "path_config": str(root / "_config.yml"), "confoverrides": settings,
                     "doctreedir": str(doctreedir), "builder": builder}
        start = time.perf_counter()
        stamp = work / f"bookbuild-{builder}.inputs"
        digest = inputs_digest(app, language, builder, arguments)
        if outputdir.is_dir() and stamp.exists() and stamp.read_text() == digest:
            logger.info(f"the {language} edition's {builder} build is current (nothing it reads changed)")
        elif subprocess.run([sys.executable, "-c", CHILD, json.dumps(arguments)], cwd=root).returncode != 0:
            stamp.unlink(missing_ok=True)
            report_edition_failure(root, language, work / f"bookbuild-{builder}.json")
            continue
        else:
            stamp.write_text(digest)
        if builder != "html":
            logger.info(f"the {language} edition's {builder} build took {time.perf_counter() - start:.1f} s")
            continue
        target = site / spec["folder"]
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(outputdir, target)
        logger.info(f"the {language} edition is at {target} (built in {time.perf_counter() - start:.1f} s)")


def setup(app) -> None:
    app.connect("build-finished", build_translations, priority=950)
