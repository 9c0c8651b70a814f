"""The 404 page works at any missing address of the published site.

A static host answers every missing address, at any depth, with the site's
``404.html``, so that page (sphinx-notfound-page) links to its stylesheets,
scripts and pages by absolute paths, ``notfound_urls_prefix`` + the file. The
site is published under a path of its host (``html.baseurl`` in _config.yml:
``https://scratchbook.github.io/linear-regression-from-scratch/``), so the
prefix is that path, never ``/``; a translated edition's build has its
folder in ``html_baseurl`` already (bookbuild.translations sets it), so its
prefix ends with the folder (``/linear-regression-from-scratch/zh/``). The
prefix is derived here and is not a key of _config.yml, so moving the site
is one change of ``html.baseurl``.

The language switch (bookbuild.translations) links each page to its twin by
a relative path, which on the 404 page would resolve against whatever
address was missing; on that page the links are made absolute the same way.

Events: ``config-inited`` (the prefix), ``html-page-context`` (priority 510,
after the language switch: the 404 page's language links).
"""

from __future__ import annotations

from urllib.parse import urlsplit


def site_path(baseurl: str | None) -> str:
    """The path of a published address, with a slash at each end: ``/project/`` (``/`` for none)."""
    path = urlsplit(baseurl or "").path.strip("/")
    return f"/{path}/" if path else "/"


def urls_prefix(app, config) -> None:
    """The 404 page's links start with the path the edition is published under."""
    config.notfound_urls_prefix = site_path(config.html_baseurl)


def _edition_folder(config) -> str:
    spec = (config.book_translations or {}).get(config.language)
    return f"{spec['folder']}/" if spec else ""


def absolute_language_links(app, pagename, templatename, context, doctree) -> None:
    """On the 404 page, each language link leads to that edition's 404 page from the site's root."""
    config = app.config
    links = context.get("book_language_links")
    if pagename != config.notfound_pagename or not links:
        return
    prefix = config.notfound_urls_prefix or "/"
    folder = _edition_folder(config)
    root = prefix[: len(prefix) - len(folder)] if folder and prefix.endswith(folder) else prefix
    metatags = context.get("metatags", "")
    for link in links:
        spec = (config.book_translations or {}).get(link["language"])
        target = f"{root}{spec['folder']}/" if spec else root
        absolute = f"{target}{pagename}.html"
        metatags = metatags.replace(f'href="{link["href"]}"', f'href="{absolute}"')
        link["href"] = absolute
    context["metatags"] = metatags


def setup(app) -> None:
    app.connect("config-inited", urls_prefix)
    app.connect("html-page-context", absolute_language_links, priority=510)
