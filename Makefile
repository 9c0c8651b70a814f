# Set-up around the book's own build. The build rules live in _config.yml and
# _ext/bookbuild.py, so `jupyter-book build .` checks exactly what `make html` does.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Stamps: reinstall only when the pinned requirements or the package metadata change.
BOOK_STAMP := $(VENV)/.book-installed
TEST_STAMP := $(VENV)/.test-installed

.PHONY: help html test tangle bench clean clean-all chromium lint chapter live

help:
	@echo "make html       build the book into _build/html (executes every chapter)"
	@echo "make test       run every test, including a strict build of the book"
	@echo "make tangle     write src/scratchbook from the chapters' #@save cells"
	@echo "make bench      time cold, no-op and one-chapter rebuilds"
	@echo "make lint       ruff (code and chapters' cells), typed numbers in prose, codespell"
	@echo "make chapter NAME=book/<part>/<name> TITLE=\"...\"   start a chapter from the template"
	@echo "make live       rebuild and reload the browser while you write"
	@echo "make clean      remove the built site, keep the execution cache"
	@echo "make clean-all  remove _build and .venv"

$(BIN)/python:
	@echo "==> creating $(VENV) with $$($(PYTHON) --version)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(BOOK_STAMP): requirements.txt pyproject.toml | $(BIN)/python
	@echo "==> installing requirements.txt and scratchbook (editable)"
	$(BIN)/python -m pip install --quiet -r requirements.txt -e .
	@touch $@

$(TEST_STAMP): requirements-test.txt $(BOOK_STAMP)
	@echo "==> installing requirements-test.txt"
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	@touch $@

html: $(BOOK_STAMP)
	$(BIN)/jupyter-book build .
	@echo "==> the book is at $(CURDIR)/_build/html/index.html"

tangle: $(BOOK_STAMP)
	$(BIN)/python _ext/tangle.py

# The browser tests drive Debian's Chromium; install it when missing and we may.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "==> installing chromium (browser tests)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
	  else echo "==> chromium is missing: the browser tests will fail; install it with: sudo apt-get install chromium"; fi; }

test: $(TEST_STAMP) chromium
	$(BIN)/python -m pytest

lint: $(TEST_STAMP)
	$(BIN)/python -m ruff check src tests _ext benchmarks
	$(BIN)/python _ext/lint_chapters.py
	$(BIN)/codespell book README.md CONTRIBUTING.md _ext tests benchmarks

chapter: $(BOOK_STAMP)
	@test -n "$(NAME)" || { echo 'usage: make chapter NAME=book/<part>/<name> TITLE="Title"'; exit 2; }
	$(BIN)/python _ext/new_chapter.py "$(NAME)" "$(or $(TITLE),$(notdir $(NAME)))"

# Sphinx's own conf.py, generated from _config.yml (and ignored by git), lets
# sphinx-autobuild rebuild on every save; execution still goes through the cache.
live: $(TEST_STAMP)
	$(BIN)/jupyter-book config sphinx . >/dev/null
	PYTHONPATH=_ext $(BIN)/sphinx-autobuild . _build/html --ignore "*/src/scratchbook/*" \
	  --ignore "*/_build/*" --ignore "*/.venv/*" --ignore "*/tests/*" --ignore "*/.git/*"

bench: $(TEST_STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf _build/html _build/.doctrees _build/jupyter_execute _build/screenshots

clean-all:
	rm -rf _build $(VENV)
