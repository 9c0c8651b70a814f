"""The book's Sphinx extension: the build rules, so ``jupyter-book build .`` and ``make html`` agree.

One module per job; each module's ``setup`` connects exactly the events it
lists in its docstring, and ARCHITECTURE.md shows them in the order Sphinx
emits them.

- :mod:`bookbuild.kernels`     every kernel computes the same digits
- :mod:`bookbuild.strict`      any warning fails the build; the toc rule; failed chapters unpublished
- :mod:`bookbuild.package`     src/scratchbook tangled (or checked) before anything is read
- :mod:`bookbuild.wheel`       the site ships the package's wheel, named with its version
- :mod:`bookbuild.cachekey`    a chapter's cache key covers the package code it uses and the environment
- :mod:`bookbuild.preexecute`  chapters missing from the cache run in parallel before reading
- :mod:`bookbuild.download`    each chapter's executed notebook, offered for download
- :mod:`bookbuild.status`      the Build status page lists the package version each chapter ran with
- :mod:`bookbuild.assets`      the site loads nothing from elsewhere and ships nothing unused
- :mod:`bookbuild.icons`       the icons the pages show, as CSS masks; a missing one is a warning
- :mod:`bookbuild.notfound`    the 404 page links from the path the site is published under
- :mod:`bookbuild.exerciserefs` a reference to another chapter's exercise (the PDF cannot resolve it) is a warning
- :mod:`bookbuild.apilinks`    mentions of the package's functions link to the API reference
- :mod:`bookbuild.translations` a translated edition's pages: what is still English, captions, language links
- :mod:`bookbuild.editions`    the other editions, built from the catalogs and the same execution
- :mod:`bookbuild.pdf`         the book as PDF, in every edition, from the same execution; published with the site
- :mod:`bookbuild.xelatex`     XeLaTeX compiles the PDF in the background; its first error names the chapter
"""

from __future__ import annotations

from bookbuild import (
    apilinks,
    assets,
    cachekey,
    download,
    editions,
    exerciserefs,
    icons,
    kernels,
    notfound,
    package,
    pdf,
    preexecute,
    status,
    strict,
    translations,
    wheel,
    xelatex,
)

JOBS = (kernels, strict, package, wheel, cachekey, preexecute, download, status, assets, icons, notfound, apilinks,
        exerciserefs, translations, editions, pdf, xelatex)


def setup(app):
    for job in JOBS:
        job.setup(app)
    return {"version": "2", "parallel_read_safe": True, "parallel_write_safe": True}
