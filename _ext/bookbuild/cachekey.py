"""A chapter's execution-cache key covers everything its outputs depend on.

jupyter-cache keys a notebook by its code cells alone (myst-nb issue 299), so
by itself it would keep a chapter's old outputs after the package code it
imports changed, or after an upgrade of torch. When a chapter is read, a
hidden ``remove-cell`` cell is appended to it, naming:

- the package modules its code imports (traced by :mod:`booktools.imports`,
  magics included) and one hash of their text; those files are also noted as
  the chapter's Sphinx dependencies, so an edit re-reads exactly its users;
- the environment: the Python version and the installed version of every
  package ``requirements.txt`` names (``book_requirements``). It is also the
  config value ``book_environment``, declared to need a full re-read, so
  Sphinx reads every chapter again when it changes.

Any change to either changes the cell, so the chapter misses the cache and is
executed again; nothing else does.

Events: ``config-inited`` (compute the environment), ``source-read`` (append the cell).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import platform
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from booktools.chapters import code_sources
from booktools.imports import PACKAGE, imported_modules

MARK = "# Build inputs"  # the hidden cell's first line; the download leaves the cell out
CELL = """

```{{code-cell}} ipython3
:tags: [remove-cell]

{mark}: this chapter is executed again when any of them changes.
# Python: {python}
# Installed: {installed}
# Package files: {files}: {digest}
{record}
```
"""
# The last line of the hidden cell of a chapter that uses the package: its output is
# the version of scratchbook the chapter executed with (the Build status page lists it).
RECORD_VERSION = "__import__('scratchbook').__version__"


def pins(requirements: Path) -> dict[str, str]:
    """Each distribution a requirements file asks for, in its order: name -> the requirement as written."""
    found = {}
    if not requirements.exists():
        return found
    for line in requirements.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        found[requirement.name] = str(requirement)
    return found


def pinned_names(requirements: Path) -> list[str]:
    """The distribution names a requirements file asks for, in its order."""
    return list(pins(requirements))


def environment(requirements: Path) -> str:
    """``name==version`` of each pinned distribution as installed now (``name absent`` if it is not)."""
    parts = []
    for name in pinned_names(requirements):
        try:
            parts.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            parts.append(f"{name} absent")
    return " ".join(parts)


def python_version() -> str:
    return f"{platform.python_implementation()} {platform.python_version()}"


def package_inputs(chapter: Path, root: Path) -> tuple[list[Path], str]:
    """The package files a chapter's code depends on, and one hash of their text."""
    package = Path(root) / "src" / PACKAGE
    names = sorted(imported_modules(code_sources(chapter), package))
    paths = [package / f"{n}.py" for n in names]
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return paths, digest.hexdigest()[:16]


def key_cell(app, chapter: Path) -> tuple[list[Path], str]:
    """The package files the chapter depends on, and the hidden cell to append to it."""
    files, digest = package_inputs(chapter, Path(app.srcdir))
    cell = CELL.format(mark=MARK, python=python_version(), installed=app.config.book_environment or "-",
                       files=" ".join(f.name for f in files) or "none", digest=digest,
                       record=RECORD_VERSION if files else "")
    return files, cell


def has_code(text: str) -> bool:
    return "```{code-cell}" in text


def set_environment(app, config) -> None:
    requirements = Path(app.srcdir) / config.book_requirements
    config.book_environment = f"{python_version()}; {environment(requirements)}"


def stamp(app, docname: str, source: list[str]) -> None:
    path = Path(app.env.doc2path(docname))
    if path.suffix != ".md" or not has_code(source[0]):
        return
    files, cell = key_cell(app, path)
    for file in files:
        app.env.note_dependency(str(file))
    source[0] += cell


def setup(app) -> None:
    app.add_config_value("book_requirements", "requirements.txt", "env")
    app.add_config_value("book_environment", "", "env")
    app.connect("config-inited", set_environment)
    app.connect("source-read", stamp)
