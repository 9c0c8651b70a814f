"""The book's translations: the same source and the same execution, prose from gettext catalogs.

The English book is built first. When it has succeeded, each language in
``book_translations`` is built, in a process of its own, by Jupyter Book's own
build function from the same ``_config.yml``, with that language's overrides, into
``_build/<folder>/`` (its own doctrees and executed notebooks), reading the
English build's execution cache, so it executes nothing. Its pages are then
copied into the site under ``<folder>/``. The translated prose comes from the
catalogs ``locales/<language>/LC_MESSAGES/<docname>.po`` (see
``booktools.i18n``); code cells are not in them, so code and outputs are
written and computed once.

A paragraph of a chapter without a current translation (new, or changed in
English since it was translated) is shown in English with the class
``untranslated``, which the stylesheet marks, and a notice at the top of the
page says how many are waiting. Text the chapter does not own (the API
reference's docstrings) stays English and is not counted.

Every page links to its twin in the other language (the ``language-switch.html``
component in the article header) and names it as an alternate.

The directive ``{translation-status}`` (on the Build status page) becomes a
table of each chapter's translated, outdated and untranslated messages, read
from the catalogs (``booktools.i18n``), the same figures ``make i18n-status`` prints.

Events: ``doctree-resolved`` (the status table), ``html-page-context`` (the
language links), ``build-finished`` (priority 950, after the strict check has
passed: build and copy each translation). The
transform :class:`MarkUntranslated` runs after Sphinx's own translation (priority 26);
:class:`TranslateTocCaptions` after sphinx-external-toc inserts the toctrees (101).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import NodeMatcher

logger = logging.getLogger(__name__)
SOURCE_LANGUAGE = "en"


def is_translation(config) -> bool:
    return config.language in (config.book_translations or {})


def _ancestors(node):
    while node.parent is not None:
        node = node.parent
        yield node


def untranslated_nodes(document, source_text: str) -> list[nodes.Element]:
    """The nodes Sphinx found no current translation for whose English the chapter's own source holds.

    Sphinx flags every message it looked up and did not translate. Text that
    other catalogs or extensions generate (an exercise's title) and the API
    reference's docstrings are flagged too, but their text is not in the
    chapter's Markdown; a paragraph, title, caption or alt text of the chapter
    is, whether or not ``make i18n`` has added it to the catalog yet.
    """
    text = " ".join(source_text.split())
    found = []
    for node in NodeMatcher(nodes.Element, translated=Any).findall(document):
        if node["translated"] or any(isinstance(a, (nodes.docinfo, nodes.field_list)) for a in _ancestors(node)):
            continue  # the front matter is not prose
        message = node.get("alt", "") if isinstance(node, nodes.image) else node.rawsource
        message = " ".join(message.split())
        if message and message in text:
            found.append(node)
    return found


class MarkUntranslated(SphinxTransform):
    """Mark each paragraph still in English, and say at the top of the page how many there are."""

    default_priority = 26  # after Sphinx's Locale (20) and its own progress count (25)

    def apply(self, **kwargs) -> None:
        from sphinx.builders.gettext import MessageCatalogBuilder

        if not is_translation(self.config) or isinstance(self.app.builder, MessageCatalogBuilder):
            return
        source = Path(self.env.doc2path(self.env.docname))
        waiting = untranslated_nodes(self.document, source.read_text(encoding="utf-8")) if source.exists() else []
        self.document["book_untranslated"] = [node.get("alt") or node.rawsource for node in waiting]
        for node in waiting:
            node["classes"].append("untranslated")
        section = next(iter(self.document.findall(nodes.section)), None)
        if not waiting or section is None:
            return
        spec = self.config.book_translations[self.config.language]
        notice = nodes.container(classes=["translation-pending"])
        notice += nodes.paragraph(text=spec["pending_notice"].format(count=len(waiting)))
        section.insert(1, notice)  # after the title


class TranslateTocCaptions(SphinxTransform):
    """Translate the part captions of the table of contents.

    sphinx-external-toc inserts the toctrees after Sphinx has translated the
    page, so their captions (which the catalogs hold, as the root page's
    messages) are translated here, from the same catalog.
    """

    default_priority = 101  # just after sphinx-external-toc's InsertToctrees (100)

    def apply(self, **kwargs) -> None:
        import gettext
        import os

        from sphinx import addnodes
        from sphinx.builders.gettext import MessageCatalogBuilder
        from sphinx.util.i18n import docname_to_domain

        toctrees = [node for node in self.document.findall(addnodes.toctree) if node.get("caption")]
        if not toctrees or not is_translation(self.config) or isinstance(self.app.builder, MessageCatalogBuilder):
            return
        domain = docname_to_domain(self.env.docname, self.config.gettext_compact)
        dirs = [os.path.join(self.env.srcdir, d) for d in self.config.locale_dirs]
        catalog = next((gettext.translation(domain, d, [self.config.language]) for d in dirs
                        if gettext.find(domain, d, [self.config.language])), None)
        if catalog is None:
            return
        for node in toctrees:
            node["caption"] = node["rawcaption"] = catalog.gettext(node["caption"])


class translation_table(nodes.General, nodes.Element):
    """Placeholder for the translation status table, filled in when the page is resolved."""


class TranslationStatus(SphinxDirective):
    """``{translation-status}``: per chapter and language, how much of its prose is translated."""

    def run(self):
        from booktools.i18n import po_path

        root = Path(self.env.srcdir)
        for language in self.config.book_translations or {}:
            for docname in self.env.found_docs:
                po = po_path(docname, language, root)
                if po.exists():
                    self.env.note_dependency(str(po))  # a catalog change re-reads this page
        return [translation_table()]


def write_translation_table(app, doctree, docname) -> None:
    placeholders = list(doctree.findall(translation_table))
    if not placeholders:
        return
    from sphinx.locale import _

    from booktools.i18n import status_rows

    root = Path(app.srcdir)
    headings = [_("Chapter"), _("Language"), _("Translated"), _("Outdated"), _("Untranslated")]
    table = nodes.table(classes=["bookbuild-translations"])
    group = nodes.tgroup(cols=len(headings))
    table += group
    group += [nodes.colspec(colwidth=w) for w in (4, 1, 1, 1, 1)]
    head, body = nodes.thead(), nodes.tbody()
    group += [head, body]
    head += nodes.row("", *(nodes.entry("", nodes.paragraph(text=str(t))) for t in headings))
    for language in app.config.book_translations or {}:
        for name, counts, pending in status_rows(language, root):
            if not counts.total:
                continue
            title = app.env.titles[name].astext() if name in app.env.titles else name
            link = nodes.reference("", title, internal=True, refuri=app.builder.get_relative_uri(docname, name))
            cells = [nodes.paragraph("", "", link)]
            if pending:
                cells[0] += nodes.Text(f" ({_('translation pending')})")
            cells += [nodes.paragraph(text=t) for t in
                      (language, str(counts.translated), str(counts.outdated), str(counts.untranslated))]
            body += nodes.row("", *(nodes.entry("", cell) for cell in cells))
    for placeholder in placeholders:
        placeholder.replace_self(table.deepcopy())


def language_links(app, pagename, templatename, context, doctree) -> None:
    """Links from this page to the same page in every language of the book."""
    config = app.config
    translations = config.book_translations or {}
    if not translations:
        return
    depth = pagename.count("/")
    here = config.language
    to_root = "../" * depth + ("../" if is_translation(config) else "")  # the English site's root
    links = []
    for language, spec in [(SOURCE_LANGUAGE, {"folder": "", "label": config.book_source_label}),
                           *translations.items()]:
        folder = f"{spec['folder']}/" if spec["folder"] else ""
        links.append({"language": language, "hreflang": language.replace("_", "-"), "label": spec["label"],
                      "href": f"{to_root}{folder}{pagename}.html", "current": language == here})
    context["book_language_links"] = links
    alternates = "".join(f'<link rel="alternate" hreflang="{link["hreflang"]}" href="{link["href"]}">\n'
                         for link in links if not link["current"])
    context["metatags"] = context.get("metatags", "") + alternates


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
    cache = str(Path(app.env.mystnb_config.execution_cache_path).resolve())
    for language, spec in (app.config.book_translations or {}).items():
        work = site.parent / spec["folder"]
        logger.info(f"building the {language} edition into {work} (from the execution cache {cache})")
        locales = prepare_catalogs(root, language, work / "locales")
        overrides = {
            "language": language,
            "locale_dirs": [str(locales)],
            "external_toc_path": app.config.external_toc_path,
            "latex_individualpages": False,  # Jupyter Book's build function expects it
            "nb_execution_cache_path": cache,
            "html_baseurl": (f"{app.config.html_baseurl.rstrip('/')}/{spec['folder']}/"
                             if app.config.html_baseurl else ""),
            **spec.get("config", {}),
        }
        builder = app.builder.name  # the pages, or the PDF (bookbuild.pdf compiles it in that build)
        # jieba, the segmenter Sphinx uses for Chinese search, learns the book's terms (pages only)
        if builder == "html" and language.startswith("zh"):
            overrides["html_search_options"] = {"dict": str(search_words(root, work / "search-words.txt"))}
        arguments = {"sourcedir": str(root), "outputdir": str(work / builder), "noconfig": True,
                     "path_config": str(root / "_config.yml"), "confoverrides": overrides,
                     "doctreedir": str(work / ".doctrees"), "builder": builder}
        start = time.perf_counter()
        if subprocess.run([sys.executable, "-c", CHILD, json.dumps(arguments)], cwd=root).returncode != 0:
            report_edition_failure(root, language, work / f"bookbuild-{builder}.json")
            continue
        if builder != "html":
            logger.info(f"the {language} edition's {builder} build took {time.perf_counter() - start:.1f} s")
            continue
        target = site / spec["folder"]
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(work / "html", target)
        logger.info(f"the {language} edition is at {target} (built in {time.perf_counter() - start:.1f} s)")


def setup(app) -> None:
    # language -> {"folder": where it is published, "label": its name in the switch,
    #              "pending_notice": the page notice, "config": Sphinx overrides for that edition}
    app.add_config_value("book_translations", {}, "env")
    app.add_config_value("book_source_label", "English", "html")
    app.add_node(translation_table)
    app.add_directive("translation-status", TranslationStatus)
    app.connect("doctree-resolved", write_translation_table)
    app.add_transform(MarkUntranslated)
    app.add_transform(TranslateTocCaptions)
    app.connect("html-page-context", language_links)
    app.connect("build-finished", build_translations, priority=950)
