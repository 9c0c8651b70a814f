"""A chapter's execution-cache key covers everything its outputs depend on.

jupyter-cache keys a notebook by its code cells alone (myst-nb issue 299), so
by itself it would keep a chapter's old outputs after the package code it
imports changed, or after an upgrade of torch. When a chapter is read, a
hidden ``remove-cell`` cell is appended to it, naming:

- the package modules its code imports (traced by :mod:`booktools.imports`,
  magics included) and one hash of their text; those files are also noted as
  the chapter's Sphinx dependencies, so an edit re-reads exactly its users;
- the environment the kernel computes in: the Python version, the settings
  every kernel is given (:func:`bookbuild.kernels.kernel_settings`), and the
  installed version of every distribution a kernel can import: the packages
  ``requirements.txt`` names (``book_requirements``) and, recursively, what
  they require (scipy behind scikit-learn, Pillow behind matplotlib). A test
  tool installed beside them changes nothing. The same text is the config
  value ``book_environment``, declared to need a full re-read, so Sphinx reads
  every chapter again when it changes.

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
from packaging.utils import canonicalize_name

from bookbuild.kernels import kernel_settings
from booktools.chapters import code_sources
from booktools.imports import PACKAGE, imported_modules

MARK = "# Build inputs"  # the hidden (remove-cell) cell's first line; the download leaves it out
CELL = """

```{{code-cell}} ipython3
:tags: [remove-cell]

{mark}: this chapter is executed again when any of them changes.
# Environment: {environment}
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


def _closure(requirements: Path) -> dict[str, str | None]:
    """Every distribution the pins require, recursively (markers evaluated here): name -> version or None."""
    found: dict[str, str | None] = {}
    visited: set[tuple[str, str]] = set()
    todo = [(Requirement(text), "") for text in pins(requirements).values()]
    while todo:
        requirement, extra = todo.pop()
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        wanted = [e for e in ("", *sorted(requirement.extras)) if (name, e) not in visited]
        if not wanted:
            continue
        visited.update((name, e) for e in wanted)
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
            continue
        todo += [(Requirement(text), e) for text in importlib.metadata.requires(name) or [] for e in wanted]
    return found


def environment(requirements: Path) -> str:
    """``name==version`` of each distribution a kernel can import, as installed now (``name absent`` if not)."""
    found = _closure(requirements)
    return " ".join(f"{name}=={found[name]}" if found[name] else f"{name} absent" for name in sorted(found))


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
    """The package files the chapter depends on, and the hidden cell to append to it.

    Computed once per build and chapter: the pre-execution (which looks the
    chapter up in the cache) and the reading (which appends the cell) use the same key.
    """
    keys = app.__dict__.setdefault("bookbuild_key_cells", {})
    chapter = Path(chapter).resolve()
    if chapter not in keys:
        files, digest = package_inputs(chapter, Path(app.srcdir))
        cell = CELL.format(mark=MARK, environment=app.config.book_environment or "-",
                           files=" ".join(f.name for f in files) or "none", digest=digest,
                           record=RECORD_VERSION if files else "")
        keys[chapter] = (files, cell)
    return keys[chapter]


def has_code(text: str) -> bool:
    return "```{code-cell}" in text


def set_environment(app, config) -> None:
    requirements = Path(app.srcdir) / config.book_requirements
    # a config value Sphinx re-reads every page for: a kernel that computes differently changes every output
    config.book_environment = (f"{python_version()}; kernels: {kernel_settings()}; "
                               f"installed: {environment(requirements)}")


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
