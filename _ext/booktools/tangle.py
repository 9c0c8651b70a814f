"""Tangle the chapters' ``#@save`` cells into the ``scratchbook`` package.

The chapters are the single source of truth. Each code cell whose first line
is ``#@save`` is copied, in order, into one module per chapter
(``book/scratch/data.md`` becomes ``src/scratchbook/data.py``), and
``__init__.py`` re-exports every public name, in the order of ``_toc.yml``.
Two chapters may not write the same module, nor save the same public name.

A cell whose first line is ``#@save checks`` goes instead into
``src/scratchbook/checks.py``, the argument checks that several modules
share (``_check_positive_int``); it exports nothing. A module may import the
private names of ``checks`` and of no other module: a helper another
chapter needs belongs in a ``#@save checks`` cell.

    python -m booktools.tangle            # write the package (make tangle)
    python -m booktools.tangle --check    # only compare; exit 1 on any difference
"""

from __future__ import annotations

import ast
import hashlib
import sys
from pathlib import Path

from booktools.chapters import read_chapter
from booktools.toc import toc_files

MARK = "#@save"
PACKAGE = "scratchbook"
CHECKS = "checks"  # the module of `#@save checks` cells, shared by every chapter
GENERATED = "generated; edit the chapter instead"


class TangleError(ValueError):
    """A chapter's saved cells cannot be tangled (the message names the chapter)."""


def module_name(chapter: Path) -> str:
    """The module a chapter tangles into: its file name as an identifier."""
    return chapter.stem.replace("-", "_")


def chapter_title(notebook) -> str:
    """The chapter's first ``# heading``, without MyST roles' backticks."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return "untitled"


def saved_cells(notebook) -> list[str]:
    """The sources of the chapter's own ``#@save`` cells, without the marker line."""
    return [source for target, source in saved_cell_targets(notebook) if target is None]


def saved_cell_targets(notebook) -> list[tuple[str | None, str]]:
    """(target, source) of every saved cell: target None for the chapter's module, or ``CHECKS``."""
    cells = []
    for cell in notebook.cells:
        lines = cell.source.splitlines()
        if cell.cell_type != "code" or not lines or not lines[0].startswith(MARK):
            continue
        words = lines[0].split()
        if words[0] != MARK:
            continue  # e.g. "#@saved": not a marker
        if words not in ([MARK], [MARK, CHECKS]):
            raise TangleError(f"a saved cell starts with `{MARK}` or `{MARK} {CHECKS}`, not `{lines[0]}`")
        target = CHECKS if words == [MARK, CHECKS] else None
        cells.append((target, "\n".join(lines[1:]).strip("\n")))
    return cells


def _public_names(tree: ast.Module) -> list[str]:
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return [n for n in names if not n.startswith("_")]


def _add_back_pointer(source: str, where: str, chapter: Path) -> str:
    """Append "Defined in ..." to the docstring of each top-level def or class."""
    tree = ast.parse(source)
    lines = source.splitlines()
    defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    for node in reversed(defs):  # bottom-up keeps earlier line numbers valid
        doc = node.body[0] if node.body else None
        if not (isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant)
                and isinstance(doc.value.value, str)):
            raise TangleError(f"{chapter}: `{node.name}` is saved without a docstring")
        last = lines[doc.end_lineno - 1]
        quote = last.rstrip()[-3:]
        if quote not in ('"""', "'''"):
            raise TangleError(f"{chapter}: the docstring of `{node.name}` must use triple quotes")
        indent = " " * doc.col_offset
        body = last.rstrip()[:-3]
        tail = [body] if body.strip() else []
        lines[doc.end_lineno - 1:doc.end_lineno] = tail + ["", f"{indent}{where}", f"{indent}{quote}"]
    return "\n".join(lines)


def _relative_imports(source: str, owners: dict[str, str], chapter: Path,
                      modules: dict[str, str] | None = None, imported: list | None = None) -> str:
    """Turn ``from scratchbook import x`` into ``from .module import x``, and ``from scratchbook.m`` into ``from .m``.

    Importing from the package's own ``__init__`` inside the package would
    depend on the order ``__init__`` runs in; a direct import does not.
    ``modules`` maps each module the tangler writes to its chapter (or chapters);
    ``imported`` collects (chapter, module, name) of the ``scratchbook.m`` imports,
    checked once every module is known.
    """
    modules = modules or {}
    tree = ast.parse(source)
    lines = source.splitlines()
    for node in reversed(tree.body):
        prefix = PACKAGE + "."
        if (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                and node.module.startswith(prefix) and node.module[len(prefix):] in modules):
            target = node.module[len(prefix):]
            for alias in node.names:
                if alias.name.startswith("_") and target != CHECKS:
                    raise TangleError(
                        f"{chapter} imports `{alias.name}`, a private name of {node.module}; a helper "
                        f"that other chapters use belongs in a `{MARK} {CHECKS}` cell ({PACKAGE}.{CHECKS})")
                if imported is not None:
                    imported.append((chapter, target, alias.name))
            text = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in node.names)
            lines[node.lineno - 1:node.end_lineno] = [f"from .{target} import {text}"]
        elif isinstance(node, ast.ImportFrom) and node.module == PACKAGE and node.level == 0:
            by_module: dict[str, list[str]] = {}
            for alias in node.names:
                if alias.name not in owners:
                    raise TangleError(f"{chapter}: `{alias.name}` is not saved by any chapter")
                text = alias.name + (f" as {alias.asname}" if alias.asname else "")
                by_module.setdefault(owners[alias.name], []).append(text)
            new = [f"from .{m} import {', '.join(n)}" for m, n in by_module.items()]
            lines[node.lineno - 1:node.end_lineno] = new
    return "\n".join(lines)


def tangle(root: Path) -> dict[Path, str]:
    """Map each file of ``src/scratchbook`` to the text the chapters produce."""
    return {path: text for path, (text, _) in tangle_sources(root).items()}


def tangle_sources(root: Path) -> dict[Path, tuple[str, str]]:
    """Map each generated file to its text and the chapter (or chapters) it comes from."""
    root = Path(root)
    package = root / "src" / PACKAGE
    chapters = []
    for path in toc_files(root):
        if path.suffix != ".md" or not path.exists():
            continue
        notebook = read_chapter(path)
        rel = path.relative_to(root).as_posix()
        try:
            cells = saved_cell_targets(notebook)
        except TangleError as err:
            raise TangleError(f"{rel}: {err}") from None
        if cells:
            chapters.append((path, chapter_title(notebook), cells))

    writers: dict[str, list[str]] = {}  # module -> the chapters that write it
    for path, _, cells in chapters:
        rel = path.relative_to(root).as_posix()
        if module_name(path) == CHECKS:
            raise TangleError(f"{rel} would write {PACKAGE}/{CHECKS}.py, the module of the "
                              f"`{MARK} {CHECKS}` cells; rename the chapter")
        for target, _ in cells:
            name = target or module_name(path)
            if rel not in writers.setdefault(name, []):
                writers[name].append(rel)
    for name, rels in writers.items():
        if name != CHECKS and len(rels) > 1:
            raise TangleError(f"{rels[0]} and {rels[1]} would both write {PACKAGE}/{name}.py; "
                              "rename one of the chapters")

    owners: dict[str, str] = {}
    saved_in: dict[str, str] = {}  # public name -> the chapter that saves it
    pieces: dict[str, list[str]] = {}  # module -> its tangled cells, in reading order
    first_path: dict[str, Path] = {}
    titles: dict[str, str] = {}
    imported: list[tuple[str, str, str]] = []
    for path, title, cells in chapters:
        rel = path.relative_to(root).as_posix()
        where = f'Defined in chapter "{title}" ({rel}).'
        for target, cell in cells:
            name = target or module_name(path)
            first_path.setdefault(name, path)
            titles.setdefault(name, title)
            try:
                cell = _relative_imports(cell, owners, rel, writers, imported)
                piece = _add_back_pointer(cell, where, rel)
            except SyntaxError as err:
                raise TangleError(f"{rel}: a #@save cell is not valid Python: {err}") from err
            pieces.setdefault(name, []).append(piece)
            if name == CHECKS:
                continue
            for n in _public_names(ast.parse(piece)):
                if n in saved_in and saved_in[n] != rel:
                    raise TangleError(f"`{n}` is saved by both {saved_in[n]} and {rel}; a public name "
                                      "must be saved by one chapter only (rename one, or import it)")
                saved_in[n] = rel
                owners[n] = name

    modules: dict[str, tuple[Path, str, list[str]]] = {}
    for name, parts in pieces.items():
        body = "\n\n\n".join(parts)
        tree = ast.parse(body)
        if name == CHECKS:
            public = []
            if _public_names(tree):
                raise TangleError(f"{', '.join(writers[name])}: {PACKAGE}.{CHECKS} holds the package's "
                                  f"own checks; give `{_public_names(tree)[0]}` a leading underscore")
            title = "Argument checks shared by the package's modules"
        else:
            public = _public_names(tree)
            title = titles[name]
        header = f'"""{title}.\n\nFrom {", ".join(writers[name])}: {GENERATED}, then run `make tangle`.\n"""\n\n'
        modules[name] = (first_path[name], header + body + "\n", public)

    defined = {name: set(_top_level_names(ast.parse(text))) for name, (_, text, _) in modules.items()}
    for rel, module, name in imported:
        if name not in defined[module]:
            raise TangleError(f"{rel}: `{name}` is not saved in {PACKAGE}.{module}")

    files = {package / f"{name}.py": (text, ", ".join(writers[name]))
             for name, (path, text, _) in modules.items()}
    files[package / "__init__.py"] = (_render_init(modules, root), "the chapters' #@save cells")
    files[package / "README.md"] = (_render_readme(modules, root), "the chapters' #@save cells")
    files[package / "py.typed"] = ("", "the tangler (the package ships type hints)")
    return files


def _top_level_names(tree: ast.Module) -> list[str]:
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [(a.asname or a.name).split(".")[0] for a in node.names]
    return names


RELEASE = "0.1.0"  # the package's public version; a hash of the tangled code is appended


def package_version(modules) -> str:
    """``RELEASE+g<hash>``: changes whenever any tangled module's text changes."""
    digest = hashlib.sha256()
    for name, (_, text, _) in sorted(modules.items()):
        digest.update(name.encode() + b"\0" + text.encode() + b"\0")
    return f"{RELEASE}+g{digest.hexdigest()[:10]}"


def _render_init(modules, root: Path) -> str:
    lines = [
        '"""scratchbook: the code of *Linear Regression from Scratch*, tangled from its chapters.',
        "",
        f"Every module is {GENERATED}, then run `make tangle`.",
        "The version names the exact code: the book's pages say which version made their outputs.",
        '"""',
        "",
        f'__version__ = "{package_version(modules)}"',
        "",
    ]
    exported = []
    for name, (_, _, public) in modules.items():
        if public:
            lines.append(f"from .{name} import {', '.join(public)}")
            exported += public
    lines += ["", "__all__ = ["] + [f'    "{n}",' for n in exported] + ["]", ""]
    return "\n".join(lines)


def _render_readme(modules, root: Path) -> str:
    """The package's own README: what it is, and which chapter each public name comes from."""
    lines = [
        "# scratchbook",
        "",
        "The code of the open textbook *Linear Regression from Scratch*: every function a",
        "chapter builds and marks `#@save`, collected into one small package so later chapters",
        "(and your own code) import it instead of copying it. It needs `torch` and `matplotlib`.",
        "",
        "```python",
        "from scratchbook import synthetic_data, data_iter, linreg, squared_loss, sgd, train",
        "```",
        "",
        f"Every module is generated from a chapter of the book ({GENERATED}); each",
        "function's docstring names its chapter, where every line is explained.",
        "",
        "| name | module | chapter |",
        "|---|---|---|",
    ]
    for name, (path, _, public) in modules.items():
        rel = path.relative_to(root).as_posix()
        for public_name in public:
            lines.append(f"| `{public_name}` | `{PACKAGE}.{name}` | {rel} |")
    return "\n".join(lines) + "\n"


def stale_files(root: Path, expected: dict[Path, object]) -> list[Path]:
    """Generated modules that no chapter produces any more (expected: what the chapters tangle to)."""
    package = Path(root) / "src" / PACKAGE
    return [p for p in sorted(package.glob("*.py"))
            if p not in expected and GENERATED in p.read_text()]


def write(root: Path) -> list[Path]:
    """Write the package; return the files that changed (unchanged files keep their mtime)."""
    changed = []
    expected = tangle(root)
    for path, text in expected.items():
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            changed.append(path)
    for path in stale_files(root, expected):
        path.unlink()
        changed.append(path)
    return changed


def check(root: Path) -> list[str]:
    """One message per generated file that differs from what its chapter tangles to."""
    problems = []
    expected = tangle_sources(root)
    for path, (text, source) in expected.items():
        rel = path.relative_to(root)
        if not path.exists():
            problems.append(f"{rel} is missing; {source} saves it. Run `make tangle`.")
        elif path.read_text() != text:
            problems.append(f"{rel} differs from what {source} tangles to "
                            "(edited by hand, or `make tangle` not run). Edit the chapter and run `make tangle`.")
    for path in stale_files(root, expected):
        problems.append(f"{path.relative_to(root)} is generated but no chapter saves it any more. Run `make tangle`.")
    return problems


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parents[2]
    try:
        if "--check" in argv:
            problems = check(root)
            for p in problems:
                print(p, file=sys.stderr)
            return 1 if problems else 0
        for path in write(root):
            print(f"tangled {path.relative_to(root)}")
    except TangleError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
