"""The site ships the package that made its outputs, as a wheel named with its version.

``scratchbook.__version__`` (written by the tangler) ends in a hash of the
tangled code, so the wheel's name changes whenever the code does. Its file
name is known before any page is read and offered to the pages as MyST
substitutions: ``{{ scratchbook_version }}``, ``{{ scratchbook_wheel }}`` (the
file name), ``{{ scratchbook_wheel_url }}`` (at ``html_baseurl``),
``{{ scratchbook_wheel_link }}`` (a link to it) and
``{{ scratchbook_pip }}`` (the install command, as inline code);
the wheel itself is built into ``_downloads/`` when the build succeeded, with
the pinned setuptools and no network (``--no-build-isolation --no-index``).

The substitutions hold a placeholder (:data:`PLACEHOLDER`), never the version
itself: a changed configuration value would make Sphinx read every page again.
:class:`FillVersion` puts the version in where a page shows the placeholder,
and such a page depends on a stamp file that changes with the version, so
a ``#@save`` edit re-reads exactly the pages that show it.

Events: ``config-inited`` (the name, from the chapters; the stamp),
``source-read`` (the dependency), a transform (the version),
``build-finished`` (build the wheel).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from docutils import nodes
from sphinx.errors import ExtensionError
from sphinx.transforms import SphinxTransform
from sphinx.util import logging

from booktools import tangle

logger = logging.getLogger(__name__)
FOLDER = "_downloads"
PLACEHOLDER = "SCRATCHBOOKVERSION"  # what the substitutions hold until FillVersion replaces it
STAMP = "scratchbook-version"  # in the doctree folder: the version the pages were read with


def wheel_name(version: str) -> str:
    return f"scratchbook-{version}-py3-none-any.whl"


def version_of_chapters(root: Path) -> str:
    """The version the package tangled from the chapters now has (the same text ``make tangle`` writes)."""
    try:
        files = tangle.tangle(root)
    except tangle.TangleError:
        return "unknown"  # the tangle step reports the problem itself
    init = files.get(Path(root) / "src" / tangle.PACKAGE / "__init__.py", "")
    for line in init.splitlines():
        if line.startswith("__version__ = "):
            return line.split('"')[1]
    return "unknown"


def name_the_wheel(app, config) -> None:
    version = version_of_chapters(Path(app.srcdir))
    config.scratchbook_version = version
    base = (config.html_baseurl or "").rstrip("/")
    name = wheel_name(PLACEHOLDER)
    url = f"{base}/{FOLDER}/{name}" if base else f"{FOLDER}/{name}"
    config.myst_substitutions = {**(config.myst_substitutions or {}),
                                 "scratchbook_version": PLACEHOLDER,
                                 "scratchbook_wheel": name,
                                 "scratchbook_wheel_url": url,
                                 "scratchbook_wheel_link": f"[{name}]({url})",
                                 "scratchbook_pip": f"`pip install {url}`"}
    stamp = Path(app.doctreedir) / STAMP
    if not stamp.exists() or stamp.read_text() != version:  # rewritten only when it changed
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(version)


def note_version_dependency(app, docname: str, source: list[str]) -> None:
    """A page that shows the version is read again when the version changes."""
    if "{{ scratchbook_" in source[0] or PLACEHOLDER in source[0]:
        app.env.note_dependency(str(Path(app.doctreedir) / STAMP))


class FillVersion(SphinxTransform):
    """Put the package's version where the substitutions left the placeholder (after a translation's)."""

    default_priority = 30  # after Sphinx's Locale (20), which may bring the placeholder in a translation

    def apply(self, **kwargs) -> None:
        version = self.config.scratchbook_version
        for node in list(self.document.findall(nodes.Text)):
            if PLACEHOLDER in node:
                node.parent.replace(node, nodes.Text(node.replace(PLACEHOLDER, version)))
        for node in self.document.findall(nodes.Element):
            for key in ("refuri", "reftarget"):
                if PLACEHOLDER in (node.get(key) or ""):
                    node[key] = node[key].replace(PLACEHOLDER, version)


def build_wheel(srcdir: Path, target: Path) -> Path:
    """Build the wheel from a copy of the package's sources (nothing is written into the repository)."""
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("pyproject.toml", "LICENSE"):
            shutil.copy(srcdir / name, Path(tmp) / name)
        shutil.copytree(srcdir / "src" / tangle.PACKAGE, Path(tmp) / "src" / tangle.PACKAGE,
                        ignore=shutil.ignore_patterns("__pycache__"))
        target.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index",
                               "--no-build-isolation", "--wheel-dir", str(target), tmp],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise ExtensionError(f"building the scratchbook wheel failed: {proc.stderr.strip()[-2000:]}")
    return target


def finish(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    if not (Path(app.srcdir) / "pyproject.toml").exists():
        logger.info("no pyproject.toml beside the book: the site ships no package wheel")
        return
    target = Path(app.outdir) / FOLDER
    expected = target / wheel_name(app.config.scratchbook_version)
    if expected.exists():
        return
    for old in target.glob("scratchbook-*.whl"):
        old.unlink()  # a site ships the one package its pages were made with
    try:
        build_wheel(Path(app.srcdir), target)
    except ExtensionError as err:  # reported through the build's warnings, like every late step
        logger.warning(str(err), type="bookbuild", subtype="wheel")
        return
    if not expected.exists():  # a warning, so the build fails but the other end-of-build steps still run
        logger.warning(f"src/scratchbook is not the package the chapters tangle to (the wheel is "
                       f"{sorted(p.name for p in target.glob('*.whl'))}, the pages name {expected.name}): "
                       "run `make tangle`, or build again if a chapter changed during the build",
                       type="bookbuild", subtype="wheel")


def setup(app) -> None:
    app.add_config_value("scratchbook_version", "", "")  # not "env": the stamp re-reads its pages
    app.connect("config-inited", name_the_wheel)
    app.connect("source-read", note_version_dependency)
    app.add_transform(FillVersion)
    app.connect("build-finished", finish)
