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

Events: ``html-page-context`` (the language links), ``build-finished`` (priority
950, after the strict check has passed: build and copy each translation). The
transform :class:`MarkUntranslated` runs after Sphinx's own translation (priority 26);
:class:`TranslateTocCaptions` after sphinx-external-toc inserts the toctrees (101).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx.util import logging
from typing import Any
from sphinx.util.nodes import NodeMatcher

logger = logging.getLogger(__name__)
SOURCE_LANGUAGE = "en"


def is_translation(config) -> bool:
    return config.language in (config.book_translations or {})


def untranslated_nodes(document) -> list[nodes.Element]:
    """The document's own translatable nodes that Sphinx found no current translation for."""
    source = document.get("source")
    return [node for node in NodeMatcher(nodes.Element, translated=Any).findall(document)
            if not node["translated"] and (node.source or source) == source]


class MarkUntranslated(SphinxTransform):
    """Mark each paragraph still in English, and say at the top of the page how many there are."""

    default_priority = 26  # after Sphinx's Locale (20) and its own progress count (25)

    def apply(self, **kwargs) -> None:
        from sphinx.builders.gettext import MessageCatalogBuilder

        if not is_translation(self.config) or isinstance(self.app.builder, MessageCatalogBuilder):
            return
        waiting = untranslated_nodes(self.document)
        self.document["book_untranslated"] = len(waiting)
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


def compile_catalogs(root: Path, language: str, out: Path) -> Path:
    """Compile the language's catalogs into ``out`` (a locale folder), ready for Sphinx.

    A translated paragraph is parsed on its own, away from the chapter's
    notebook, so a ``{glue:text}`key``` in it would find no glued value; it is
    compiled as the same role naming its chapter (``/book/x.md::key``), which
    myst-nb resolves from the chapter's glue record once the page is read.
    Outdated (fuzzy) translations are left out, so their English shows.
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    source = root / "locales" / language / "LC_MESSAGES"
    target = out / language / "LC_MESSAGES"
    shutil.rmtree(target, ignore_errors=True)
    for po in sorted(source.rglob("*.po")):
        domain = po.relative_to(source).with_suffix("").as_posix()
        with po.open("rb") as f:
            catalog = read_po(f)
        if (root / f"{domain}.md").exists():
            for message in catalog:
                if message.id and isinstance(message.string, str):
                    message.string = glue_from_chapter(message.string, domain)
        mo = target / f"{domain}.mo"
        mo.parent.mkdir(parents=True, exist_ok=True)
        with mo.open("wb") as f:
            write_mo(f, catalog, use_fuzzy=False)
    return out


# A translation is built in a process of its own: docutils and Sphinx register
# nodes, roles and directives globally, and a second build in this process would
# find them taken.
CHILD = ("import json, sys\n"
         "from jupyter_book.sphinx import build_sphinx\n"
         "sys.exit(0 if build_sphinx(**json.loads(sys.argv[1])) == 0 else 1)\n")


def build_translations(app, exception) -> None:
    """Build each translation from the English build's cache, then publish it under the site."""
    if exception is not None or app.builder.format != "html" or is_translation(app.config):
        return
    import json
    import subprocess
    import sys

    from bookbuild.strict import BuildFailed

    root, site = Path(app.srcdir), Path(app.outdir)
    cache = str(Path(app.env.mystnb_config.execution_cache_path).resolve())
    for language, spec in (app.config.book_translations or {}).items():
        work = site.parent / spec["folder"]
        logger.info(f"building the {language} edition into {work} (from the execution cache {cache})")
        locales = compile_catalogs(root, language, work / "locales")
        overrides = {
            "language": language,
            "locale_dirs": [str(locales)],
            "external_toc_path": app.config.external_toc_path,
            "latex_individualpages": False,  # Jupyter Book's build function expects it
            "nb_execution_cache_path": cache,
            "html_baseurl": f"{app.config.html_baseurl.rstrip('/')}/{spec['folder']}/" if app.config.html_baseurl else "",
            **spec.get("config", {}),
        }
        arguments = {"sourcedir": str(root), "outputdir": str(work / "html"), "noconfig": True,
                     "path_config": str(root / "_config.yml"), "confoverrides": overrides,
                     "doctreedir": str(work / ".doctrees"), "builder": "html"}
        if subprocess.run([sys.executable, "-c", CHILD, json.dumps(arguments)], cwd=root).returncode != 0:
            raise BuildFailed(f"the {language} edition failed to build; its log is above")
        target = site / spec["folder"]
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(work / "html", target)
        logger.info(f"the {language} edition is at {target}")


def setup(app) -> None:
    # language -> {"folder": where it is published, "label": its name in the switch,
    #              "pending_notice": the page notice, "config": Sphinx overrides for that edition}
    app.add_config_value("book_translations", {}, "env")
    app.add_config_value("book_source_label", "English", "html")
    app.add_transform(MarkUntranslated)
    app.add_transform(TranslateTocCaptions)
    app.connect("html-page-context", language_links)
    app.connect("build-finished", build_translations, priority=950)
