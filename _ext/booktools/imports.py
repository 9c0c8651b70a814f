"""Which modules of the package a chapter's code uses, directly or through other modules.

The trace errs on the side of re-executing: cells are read as IPython reads
them (magics become the calls they stand for, and the code a magic runs is
traced too), and anything the trace cannot resolve (``import scratchbook``,
``from scratchbook import *``, a name no module saves, a cell that is still
not Python but mentions the package) depends on the whole package.
"""

from __future__ import annotations

import ast
from pathlib import Path

from IPython.core.inputtransformer2 import TransformerManager

PACKAGE = "scratchbook"
# IPython calls whose string arguments are code (cell and line magics) or a shell command.
CODE_CALLS = {"run_cell_magic", "run_line_magic", "system", "getoutput"}


def package_modules(package: Path) -> tuple[list[str], dict[str, str]]:
    """The package's modules in reading order, and which module saves each public name.

    Both come from the generated ``__init__.py``, which lists the modules in
    the order of ``_toc.yml``; the first module to save a name owns it.
    """
    init = package / "__init__.py"
    modules: list[str] = []
    owners: dict[str, str] = {}
    if init.exists():
        for node in ast.parse(init.read_text()).body:
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
                modules.append(node.module)
                for alias in node.names:
                    owners.setdefault(alias.asname or alias.name, node.module)
    for path in sorted(package.glob("*.py")):  # modules that export nothing still count
        if path.stem != "__init__" and path.stem not in modules:
            modules.append(path.stem)
    return modules, owners


def direct_imports(source: str, modules: list[str], owners: dict[str, str]) -> set[str]:
    """The package modules one piece of code imports itself (not through other modules)."""
    every = set(modules)
    try:
        tree = ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return every if PACKAGE in source else set()

    found: set[str] = set()

    def module(name: str) -> set[str]:
        return {name} if name in every else every

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == PACKAGE:
                    found |= every
                elif alias.name.startswith(PACKAGE + "."):
                    found |= module(alias.name.split(".")[1])
        elif isinstance(node, ast.ImportFrom):
            if node.level >= 1:  # inside the package: `from .data import x`
                found |= module(node.module.split(".")[0]) if node.module else every
            elif node.module == PACKAGE:
                for alias in node.names:
                    if alias.name in owners:
                        found.add(owners[alias.name])
                    else:  # `*`, a submodule, or a name no chapter saves
                        found |= module(alias.name)
            elif node.module and node.module.startswith(PACKAGE + "."):
                found |= module(node.module.split(".")[1])
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in CODE_CALLS):
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and PACKAGE in arg.value:
                    found |= direct_imports(arg.value, modules, owners) or every
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                node.value == PACKAGE or node.value.startswith(PACKAGE + ".")):
            found |= every  # importlib.import_module("scratchbook...") and the like
    return found & every


def imported_modules(sources: list[str], package: Path) -> set[str]:
    """The package modules that the code imports, directly or through other modules."""
    modules, owners = package_modules(package)
    todo: set[str] = set()
    for source in sources:
        todo |= direct_imports(source, modules, owners)
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        seen.add(name)
        todo |= direct_imports((package / f"{name}.py").read_text(), modules, owners) - seen
    return seen
