"""The book's command-line tools, and the readers they share with the build.

Run from the repository root with ``_ext`` on the path (the Makefile does):

- ``python -m booktools.tangle [--check]``  write or check src/scratchbook
- ``python -m booktools.lint [book/x.md ...]``  lint the chapters' code and prose
- ``python -m booktools.new_chapter book/<part>/<name> "Title"``  start a chapter

Nothing here imports Sphinx's application: the Sphinx extension (``bookbuild``)
calls these, never the other way round.
"""
