"""``src/scratchbook`` is tangled from the chapters before any chapter is read.

With ``SCRATCHBOOK_TANGLE=check`` (``make test`` and CI) the package is only
compared with the chapters, and any difference is a warning, so a change to a
``#@save`` cell that was not followed by ``make tangle`` fails the build.

Events: ``builder-inited`` (priority 800, before the cache key and pre-execution read the package).
"""

from __future__ import annotations

import os
from pathlib import Path

from sphinx.util import logging

from booktools import tangle

logger = logging.getLogger(__name__)


def tangle_package(app) -> None:
    root = Path(app.srcdir)
    if os.environ.get("SCRATCHBOOK_TANGLE") == "check":
        try:
            problems = tangle.check(root)
        except tangle.TangleError as err:
            problems = [str(err)]
        for problem in problems:
            logger.warning(problem, type="bookbuild", subtype="tangle")
        return
    try:
        changed = tangle.write(root)
    except tangle.TangleError as err:
        logger.warning(str(err), type="bookbuild", subtype="tangle")
        return
    for path in changed:
        logger.info(f"tangled {path.relative_to(root)}")


def setup(app) -> None:
    app.connect("builder-inited", tangle_package, priority=800)
