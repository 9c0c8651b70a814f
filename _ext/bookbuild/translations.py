"""The pages of a translated edition: what is still English, the toc's captions, the links between editions.

:mod:`bookbuild.editions` builds each edition; this module holds the rules
that apply to its pages while they are read and written. The translated
prose comes from the catalogs ``locales/<language>/LC_MESSAGES/<docname>.po``
(see ``booktools.i18n``); code cells are not in them, so code and outputs are
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
language links). The
transform :class:`MarkUntranslated` runs after Sphinx's own translation (priority 26);
:class:`TranslateTocCaptions` after sphinx-external-toc inserts the toctrees (101).
"""

from __future__ import annotations

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
