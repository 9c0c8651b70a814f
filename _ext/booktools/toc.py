"""The table of contents, read by the parser Jupyter Book itself uses (sphinx-external-toc)."""

from __future__ import annotations

from pathlib import Path

from sphinx_external_toc.api import FileItem
from sphinx_external_toc.parsing import parse_toc_yaml


def toc_docnames(root: Path) -> list[str]:
    """Every document ``_toc.yml`` lists, in reading order (the root first)."""
    site_map = parse_toc_yaml(Path(root) / "_toc.yml")
    order: list[str] = []

    def walk(docname: str) -> None:
        order.append(docname)
        for subtree in site_map[docname].subtrees:
            for item in subtree.items:
                if isinstance(item, FileItem):
                    walk(str(item))

    walk(site_map.root.docname)
    return order


def toc_files(root: Path) -> list[Path]:
    """The files behind :func:`toc_docnames`, as paths under root (``.md`` unless an ``.ipynb`` exists)."""
    root = Path(root)
    paths = []
    for docname in toc_docnames(root):
        path = root / docname
        if path.suffix not in (".md", ".ipynb"):
            notebook = path.with_suffix(".ipynb")
            path = notebook if notebook.exists() and not path.with_suffix(".md").exists() else path.with_suffix(".md")
        paths.append(path)
    return paths
