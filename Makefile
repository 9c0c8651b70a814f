# Set-up around the book's own build. The build rules live in _config.yml and
# the Sphinx extension _ext/bookbuild/, so `jupyter-book build .` checks exactly
# what `make html` does; this file only installs, and chooses what to run.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
TOOLS  := PYTHONPATH=_ext $(BIN)/python -m booktools
# Stamps: reinstall only when the pins, the lock or the package metadata change.
BOOK_STAMP := $(VENV)/.book-installed
TEST_STAMP := $(VENV)/.test-installed
LAB_STAMP  := $(VENV)/.lab-installed
LOCK       := constraints.txt

.PHONY: help html pdf test test-fast check-tangle site-for-tests pdf-for-tests tangle bench clean clean-all chromium tex lint chapter live lab lock i18n i18n-status

help:
	@echo "make html       build the book into _build/html (executes chapters the cache lacks)"
	@echo "make pdf        build the book as PDF, English and Chinese, into _build/pdf (installs TeX when it may)"
	@echo "make test       check the package against the chapters, build _build strictly, run every test on it"
	@echo "make test-fast  package and chapter claims against the existing _build (under a minute)"
	@echo "make tangle     write src/scratchbook from the chapters' #@save cells"
	@echo "make i18n       update the translation catalogs (locales/) from the English chapters"
	@echo "make i18n-status  per chapter and language: translated / outdated / untranslated messages"
	@echo "make bench      time cold, no-op and one-chapter rebuilds; weigh the pages"
	@echo "make lint       ruff (code and chapters' cells), typed numbers in prose, codespell"
	@echo "make lock       regenerate $(LOCK), the exact version of every installed package"
	@echo "make chapter NAME=book/<part>/<name> TITLE=\"...\"   start a chapter from the template"
	@echo "make live       rebuild and reload the browser while you write"
	@echo "make lab        open the chapters as notebooks in JupyterLab; saving writes the .md"
	@echo "make clean      remove the built site, keep the execution cache"
	@echo "make clean-all  remove _build and .venv"

$(BIN)/python:
	@echo "==> creating $(VENV) with $$($(PYTHON) --version)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# On Linux torch comes from PyTorch's CPU index (PyPI's is the CUDA build), added on pip's
# command line only when that index answers: booktools/torch_index.py says why.
TORCH_INDEX = $$(PYTHONPATH=_ext $(PYTHON) -m booktools.torch_index)

# Every install is constrained by the lock, so a clone built next year gets the same packages.
$(BOOK_STAMP): requirements.txt pyproject.toml $(LOCK) | $(BIN)/python
	@echo "==> installing requirements.txt and scratchbook (editable), constrained by $(LOCK)"
	$(BIN)/python -m pip install --quiet -c $(LOCK) $(TORCH_INDEX) -r requirements.txt -e .
	@touch $@

$(TEST_STAMP): requirements-test.txt $(BOOK_STAMP)
	@echo "==> installing requirements-test.txt, constrained by $(LOCK)"
	$(BIN)/python -m pip install --quiet -c $(LOCK) -r requirements-test.txt
	@touch $@

$(LAB_STAMP): requirements-lab.txt $(BOOK_STAMP)
	@echo "==> installing requirements-lab.txt, constrained by $(LOCK)"
	$(BIN)/python -m pip install --quiet -c $(LOCK) -r requirements-lab.txt
	@touch $@

html: $(BOOK_STAMP)
	$(BIN)/jupyter-book build .
	@echo "==> the book is at $(CURDIR)/_build/html/index.html"

# The PDFs: Sphinx's LaTeX builder from the same execution cache as the site, compiled
# with XeLaTeX by bookbuild.xelatex; each edition's PDF goes to _build/pdf and into the site.
pdf: $(BOOK_STAMP) tex
	$(BIN)/jupyter-book build . --builder latex
	@echo "==> the PDFs are in $(CURDIR)/_build/pdf/"

tangle: $(BOOK_STAMP)
	$(TOOLS).tangle

# The package must already match the chapters: nothing in `make test` writes src/.
check-tangle: $(BOOK_STAMP)
	$(TOOLS).tangle --check

# The site the tests check, built once with the package only compared (never written), after
# the PDFs: it reads the doctrees they were built from, so it publishes and links them.
site-for-tests: pdf-for-tests
	SCRATCHBOOK_TANGLE=check $(BIN)/jupyter-book build .

# Debian packages, installed when we may (as root, or with sudo that needs no password), else
# the command to run is printed: $(call apt-install,what they are for,packages,then what)
define apt-install
if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
if command -v apt-get >/dev/null 2>&1 && $$SUDO true 2>/dev/null; then \
  echo "==> installing $(1): $(2)"; \
  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null; \
else echo "==> $(1) is missing; install it with: sudo apt-get install $(2)"; $(3); fi
endef

# The browser tests drive a Chromium (tests/chromium.py finds Playwright's own, or one on PATH
# that is not Ubuntu's snap stub) and look at Chinese pages with a CJK font. Debian's packages
# when either is missing; elsewhere `.venv/bin/python -m playwright install chromium`.
chromium: $(TEST_STAMP)
	@$(BIN)/python tests/chromium.py || { $(call apt-install,Chromium for the browser tests,chromium,echo "    or: $(BIN)/python -m playwright install chromium"); }
	@fc-list :lang=zh family 2>/dev/null | grep -q . || { $(call apt-install,a CJK font for the browser tests,fonts-noto-cjk fonts-dejavu-core,:); }

# The PDFs the tests check, from the same doctrees as the site (shared: the site reads nothing again).
pdf-for-tests: check-tangle tex
	SCRATCHBOOK_TANGLE=check $(BIN)/jupyter-book build . --builder latex

# XeLaTeX, latexmk, xindy, the LaTeX packages Sphinx uses, xeCJK with its Fandol fonts,
# the FreeFont and DejaVu fonts, and poppler (the PDF tests render pages) from Debian.
TEX_PACKAGES := texlive-xetex texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended \
  texlive-lang-chinese latexmk xindy fonts-freefont-otf fonts-dejavu-core poppler-utils
tex:
	@{ command -v xelatex && command -v latexmk && command -v xindy && command -v pdftoppm \
	   && kpsewhich xeCJK.sty fncychap.sty && fc-list | grep -q "DejaVu Sans Mono"; } >/dev/null 2>&1 \
	 || { $(call apt-install,TeX for the PDF,$(TEX_PACKAGES),exit 1); }

# Whole test files spread over the cores (pytest-xdist); a file's tests share its fixtures.
TEST_WORKERS ?= auto
test: $(TEST_STAMP) chromium site-for-tests
	BOOK_BUILD=$(CURDIR)/_build $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

test-fast: $(TEST_STAMP)
	@test -d _build/html || { echo "make test-fast checks an existing build: run make html first"; exit 2; }
	BOOK_BUILD=$(CURDIR)/_build $(BIN)/python -m pytest -m "unit or chapters" -p no:cacheprovider

lint: $(TEST_STAMP)
	$(BIN)/python -m ruff check src tests _ext benchmarks
	$(TOOLS).lint
	$(BIN)/codespell book README.md CONTRIBUTING.md ARCHITECTURE.md _ext tests benchmarks

chapter: $(BOOK_STAMP)
	@test -n "$(NAME)" || { echo 'usage: make chapter NAME=book/<part>/<name> TITLE="Title"'; exit 2; }
	$(TOOLS).new_chapter "$(NAME)" "$(or $(TITLE),$(notdir $(NAME)))"

# Sphinx's own conf.py, generated from _config.yml (and ignored by git), lets
# sphinx-autobuild rebuild on every save; execution still goes through the cache.
live: $(TEST_STAMP)
	$(BIN)/jupyter-book config sphinx . >/dev/null
	PYTHONPATH=_ext $(BIN)/sphinx-autobuild . _build/html --ignore "*/src/scratchbook/*" \
	  --ignore "*/_build/*" --ignore "*/.venv/*" --ignore "*/tests/*" --ignore "*/.git/*"

# A chapter opens as a notebook (jupytext's viewer is the default for .md files) and
# runs on the book's kernel, which imports this checkout's scratchbook; saving writes
# the .md, so the chapter stays the source (outputs are not saved into it).
lab: $(LAB_STAMP)
	@mkdir -p $(VENV)/share/jupyter/lab/settings
	@printf '%s\n' '{"@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"}}}' \
	  > $(VENV)/share/jupyter/lab/settings/overrides.json
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" $(if $(filter 0,$(shell id -u)),--allow-root) book/index.md

bench: $(TEST_STAMP)
	PYTHONPATH=_ext $(BIN)/python benchmarks/run.py

# The catalogs follow the English source: new paragraphs arrive untranslated, changed
# ones keep their old translation marked outdated (fuzzy). Extraction reads the
# execution cache, so it needs a built book (it executes what the cache lacks).
i18n: $(BOOK_STAMP)
	$(TOOLS).i18n update

i18n-status: $(BOOK_STAMP)
	$(TOOLS).i18n status

# Resolve the pins afresh in a throwaway environment and record every package it installed.
lock: | $(BIN)/python
	rm -rf _build/lock-venv
	$(PYTHON) -m venv _build/lock-venv
	_build/lock-venv/bin/python -m pip install --quiet --upgrade pip
	_build/lock-venv/bin/python -m pip install --quiet $(TORCH_INDEX) -r requirements.txt -r requirements-test.txt -r requirements-lab.txt
	{ echo "# Generated by \`make lock\` from requirements.txt, requirements-test.txt and requirements-lab.txt: do not edit."; \
	  echo "# Every package the book and its tests install, at the version they were built with."; \
	  _build/lock-venv/bin/python -m pip freeze --all --exclude-editable | grep -v '^pip==' | sed 's/+[0-9A-Za-z.]*$$//'; } > $(LOCK)
	rm -rf _build/lock-venv
	@echo "==> wrote $(LOCK) ($$(grep -c '==' $(LOCK)) packages)"

clean:
	rm -rf _build/html _build/latex _build/pdf _build/.doctrees _build/jupyter_execute _build/screenshots _build/bookbuild-*.json

clean-all:
	rm -rf _build $(VENV)
