"""The book as PDF: Sphinx's LaTeX builder, XeLaTeX, and the PDFs published with the site.

``jupyter-book build . --builder latex`` (what ``make pdf`` runs) writes the
English book's ``.tex`` from the same doctrees and execution cache as the site,
and :mod:`bookbuild.xelatex` then compiles it. :mod:`bookbuild.editions`
builds each edition the same way, so every language gets its PDF.

- Structure: the LaTeX builder assembles the whole book into the landing
  page. :class:`BookStructure` gives the assembled tree the site's shape: the
  landing page becomes one unnumbered opening chapter (its sections would
  otherwise be chapters of their own), each part of ``_toc.yml`` starts with a
  part page bearing the caption the site shows (``Part I · Tensor toolkit``,
  translated in a translated edition), and the chapters of an unnumbered part
  (the appendix) are unnumbered, as on the site. Chapters, sections,
  figures and equations are numbered by LaTeX, which counts as the site does
  (chapters on across the parts; figures and equations within the chapter).
- Publishing: the PDFs are copied to ``_build/pdf/``, each with a digest of
  the doctrees it was built from (``<name>.doctrees``), and into the site,
  each edition's beside its pages (``book_pdf_name``), only while the site's
  pages are read into those same doctrees: a PDF of older pages is not
  published (and is taken out of the site). Every page's download menu links
  to the PDF of its language exactly when the site has it; when that changes,
  every page is written again. So `make pdf` before the html build (as
  `make test` does) gives a site that offers its PDFs.

Events: ``config-inited`` (the LaTeX preamble), ``env-before-read-docs`` (the LaTeX document's name and
title), ``env-updated`` (html: whether the pages link to the PDF), a
post-transform on the assembled book (LaTeX), ``html-page-context``
(the download menu's PDF link), ``build-finished`` (priority 960, after XeLaTeX
has finished: publish, and record what the pages link to).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.texescape import escape

logger = logging.getLogger(__name__)

# Part pages carry the site's caption as it is (its own "Part I"), so LaTeX's \part* is used,
# with the table of contents line and the PDF bookmark \part would have made.
PREAMBLE = r"""
\makeatletter
% Chinese in any edition (the glossary names each term in Chinese); xeCJK's default fonts are Fandol.
\@ifpackageloaded{xeCJK}{}{\usepackage{xeCJK}}
% Code in a monospace font that stays legible in print (FreeMono's strokes are thin).
\setmonofont{DejaVu Sans Mono}[Scale=MatchLowercase]
% "Chapter 1" in the edition's language (\bookchapterlabel), above the title, as LaTeX's report class does.
\def\@makechapterhead#1{\vspace*{50\p@}{\parindent\z@\raggedright\normalfont
  \ifnum\c@secnumdepth>\m@ne\huge\bfseries\bookchapterlabel\par\nobreak\vskip20\p@\fi
  \interlinepenalty\@M\Huge\bfseries #1\par\nobreak\vskip40\p@}}
% The running head likewise (Sphinx's page style sets it when the text begins: \bookchaptermark follows).
\newcommand{\bookchaptermark}{\def\chaptermark##1{\markboth{\ifnum\c@secnumdepth>\m@ne\bookchapterlabel\quad\fi##1}{}}}
% Spaces in code are the font's space glyph, not a kern, so code copied from the PDF keeps
% its indentation (tests/pdf checks it; Sphinx's verbatim space is \spx@verbatim@space).
\def\spx@verbatim@space{\nobreak\hskip\z@skip\discretionary{\copy\sphinxvisiblespacebox}{\sphinxafterbreak}{\char32\relax}}
\makeatother
\newcommand{\bookpart}[1]{\cleardoublepage\phantomsection\addcontentsline{toc}{part}{#1}\part*{#1}}
\newcommand{\booknumbered}[1]{\ifnum#1=1 \setcounter{secnumdepth}{\booksecnumdepth}\else\setcounter{secnumdepth}{-1}\fi}
\AtBeginDocument{\edef\booksecnumdepth{\the\value{secnumdepth}}}
"""


def _raw(tex: str) -> nodes.raw:
    return nodes.raw("", tex + "\n", format="latex")


def _parts(env, root: str) -> list[tuple[str, bool, str]]:
    """(first chapter, numbered, caption) of each part, from the landing page's toctrees."""
    parts = []
    for toctree in env.get_doctree(root).findall(addnodes.toctree):
        entries = [name for _, name in toctree["entries"]]
        if entries:
            parts.append((entries[0], bool(toctree.get("numbered")), toctree.get("caption") or ""))
    return parts


class BookStructure(SphinxPostTransform):
    """Give the assembled LaTeX book the site's structure: opening chapter, part pages, numbering."""

    default_priority = 700
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        root = self.config.root_doc
        if self.env.docname != root:
            return
        top = next(iter(self.document.findall(nodes.section)), None)
        if top is None:
            return
        wrappers = [c for c in top.children
                    if isinstance(c, nodes.compound) and "toctree-wrapper" in c["classes"]]
        # The landing page: its title is the title page's; its text and sections become one
        # unnumbered chapter under that title, instead of a chapter per section.
        opening = nodes.section("", ids=[f"book-opening-{root}"])
        opening += top[0].deepcopy() if isinstance(top[0], nodes.title) else nodes.title("", self.config.project)
        for child in list(top.children[1:]):
            if child not in wrappers:
                top.remove(child)
                opening += child
        top.insert(1, opening)
        top.insert(1, _raw(r"\bookchaptermark\booknumbered{0}"))
        parts = {first: (numbered, caption) for first, numbered, caption in _parts(self.env, root)}
        for wrapper in wrappers:
            start = next(iter(wrapper.findall(addnodes.start_of_file)), None)
            numbered, caption = parts.get(start["docname"] if start else "", (True, ""))
            tex = rf"\booknumbered{{{int(numbered)}}}"
            if caption:
                tex = rf"\bookpart{{{escape(caption, self.config.latex_engine)}}}" + "\n" + tex
            wrapper.insert(0, _raw(tex))


# ---- compiling --------------------------------------------------------------------------------

# ---- publishing -------------------------------------------------------------------------------

def editions(app) -> list[tuple[str | None, str, str]]:
    """(language, folder under the site, PDF name) of the English book (language None) and of each translation."""
    found: list[tuple[str | None, str, str]] = [(None, "", app.config.book_pdf_name)]
    for language, spec in (app.config.book_translations or {}).items():
        name = spec.get("config", {}).get("book_pdf_name")
        if name:
            found.append((language, spec["folder"], name))
    return found


def doctrees_stamp(doctrees: Path) -> str | None:
    """A digest of the parsed pages in a doctree folder (None when it holds none)."""
    files = sorted(doctrees.rglob("*.doctree"))
    if not files:
        return None
    digest = hashlib.sha256()
    for path in files:
        data = path.read_bytes()
        digest.update(f"{path.relative_to(doctrees).as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def _stamp_of(pdf: Path) -> Path:
    """Beside each PDF on the shelf: the digest of the doctrees it was built from."""
    return pdf.with_name(pdf.name + ".doctrees")


def _build_folder(app) -> Path:
    """``_build``: the build folder of the English book (a translation builds in ``_build/<folder>/``)."""
    from bookbuild.translations import is_translation

    outdir = Path(app.outdir)
    if is_translation(app.config):
        return outdir.parents[len(Path(app.config.book_translations[app.config.language]["folder"]).parts)]
    return outdir.parent


def is_current(pdf: Path, doctrees: Path) -> bool:
    """The PDF exists and was built from exactly these doctrees (so from the pages of this site)."""
    stamp, current = _stamp_of(pdf), doctrees_stamp(doctrees)
    return current is not None and pdf.is_file() and stamp.is_file() and stamp.read_text().strip() == current


def publish(app, exception) -> None:
    """Gather each edition's PDF in _build/pdf/, with the digest of the doctrees it was built from,
    and put it in the site beside its pages only when the site's pages were read into those same
    doctrees; a PDF of other pages is taken out of the site."""
    from bookbuild.editions import build_folders
    from bookbuild.strict import passed
    from bookbuild.translations import is_translation

    if exception is not None or not passed(app) or is_translation(app.config) \
            or app.builder.name not in ("html", "latex"):
        return
    build = Path(app.outdir).parent
    shelf = build / "pdf"
    for language, folder, name in editions(app):
        latex, doctrees = build_folders(app, language, "latex")
        made = latex / name
        if app.builder.name == "latex" and made.exists():
            shelf.mkdir(exist_ok=True)
            shutil.copy2(made, shelf / name)
            _stamp_of(shelf / name).write_text((doctrees_stamp(doctrees) or "") + "\n")
        site = build / "html" / folder
        if not site.is_dir():
            continue
        if is_current(shelf / name, doctrees):
            shutil.copy2(shelf / name, site / name)
            logger.info(f"the PDF {name} is at {shelf / name} and in the site at {site / name}")
        else:
            (site / name).unlink(missing_ok=True)
            if app.builder.name == "html":
                logger.info(f"the pages do not offer {name}: no PDF was built from these pages "
                            "(`make pdf`, then `make html`, offers it)")


def _linked(app) -> Path:
    """Where an html build records which PDF its pages link to (beside its doctrees, which outlive pages)."""
    return Path(app.doctreedir) / "bookbuild-pdf-link"


def relink_pages(app, env) -> list[str]:
    """Decide, once the pages are read, whether they link to the edition's PDF: only when it was
    built from these doctrees. When that changed since the pages were written, every page is
    written again (Sphinx would rewrite only the pages that changed)."""
    if app.builder.name != "html":
        return []
    pdf = _build_folder(app) / "pdf" / app.config.book_pdf_name
    app.bookbuild_pdf_link = is_current(pdf, Path(app.doctreedir))
    wanted = app.config.book_pdf_name if app.bookbuild_pdf_link else ""
    record = _linked(app)
    if (record.read_text() if record.exists() else None) == wanted:
        return []
    record.unlink(missing_ok=True)  # written again once every page is (record_pdf_link)
    return sorted(env.found_docs)


def record_pdf_link(app, exception) -> None:
    """The pages are written: record the PDF they link to (nothing when the build failed)."""
    if exception is None and app.builder.name == "html" and hasattr(app, "bookbuild_pdf_link"):
        _linked(app).write_text(app.config.book_pdf_name if app.bookbuild_pdf_link else "")


def pdf_link(app, pagename, templatename, context, doctree) -> None:
    """The download menu of every page offers the whole book as PDF, in the page's language, when
    the site will have that PDF (built from the same doctrees)."""
    from sphinx.locale import _

    if not getattr(app, "bookbuild_pdf_link", False):
        return
    for group in context.get("header_buttons", []):
        if group.get("label") == "download-buttons":
            group["buttons"].append({
                "type": "link", "text": str(_("Book (PDF)")), "label": "download-book-pdf-button",
                "tooltip": str(_("Download the whole book as PDF")), "icon": "fas fa-book",
                "url": context["pathto"](app.config.book_pdf_name, 1),
            })


def latex_settings(app, config) -> None:
    """The book's macros in the LaTeX preamble; the contents page and the bibliography are titled in
    the edition's language (Sphinx would title the contents with the first part's caption, and
    babel knows no Chinese)."""
    from sphinx.locale import _
    from sphinx.util import texescape

    texescape.init()  # the LaTeX builder does this later; escape() needs it
    contents = escape(str(_("Contents")), config.latex_engine)
    bibliography = escape(str(_("Bibliography")), config.latex_engine)
    chapter = r"\thechapter{}".join(escape(part, config.latex_engine) for part in str(_("Chapter %s")).split("%s"))
    preamble = PREAMBLE + rf"\newcommand{{\bookchapterlabel}}{{{chapter}}}" + "\n"
    if not (config.language or "en").startswith(("zh", "ja", "ko")):
        # xeCJK would set curly quotes, the middle dot, dashes and ellipses full width, as in Chinese text
        preamble += r'\xeCJKDeclareCharClass{Default}{"00B7,"2013,"2014,"2018,"2019,"201C,"201D,"2026}' + "\n"
    config.latex_elements = {**config.latex_elements,
                             "preamble": config.latex_elements.get("preamble", "") + preamble,
                             "tableofcontents": (rf"\renewcommand{{\contentsname}}{{{contents}}}"
                                                 rf"\renewcommand{{\bibname}}{{{bibliography}}}\sphinxtableofcontents")}


def document(app, env, docnames) -> None:
    """The LaTeX document: this edition's PDF name, title and authors (Jupyter Book would impose
    the English title from _config.yml on every edition)."""
    if app.builder.name == "latex":
        stem = Path(app.config.book_pdf_name).stem
        app.config.latex_documents = [(app.config.root_doc, f"{stem}.tex", app.config.html_title or app.config.project,
                                       escape(app.config.author, app.config.latex_engine), "manual")]


def setup(app) -> None:
    app.add_config_value("book_pdf_name", "book.pdf", "html")
    app.connect("config-inited", latex_settings)
    app.connect("env-before-read-docs", document)
    app.add_post_transform(BookStructure)
    app.connect("env-updated", relink_pages)
    app.connect("html-page-context", pdf_link, priority=501)
    app.connect("build-finished", publish, priority=960)
    app.connect("build-finished", record_pdf_link, priority=960)
