"""The undocumented APIs the build relies on are still there, in the form it uses.

ARCHITECTURE.md ("Undocumented APIs we rely on") lists each one, the module that
uses it and why no documented API serves. An upgrade of Sphinx, myst-nb,
jupyter-cache, Jupyter Book or ipykernel that removes or reshapes one fails
here by name, instead of switching a check off somewhere in the build.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path


def parameters(function) -> list[str]:
    return list(inspect.signature(function).parameters)


def test_myst_nb_records_each_notebooks_execution_in_its_metadata_collector():
    """bookbuild.strict: which chapters failed to execute (myst-nb keeps it nowhere public)."""
    from myst_nb.sphinx_ import NbMetadataCollector

    assert parameters(NbMetadataCollector.get_exec_data) == ["env", "docname"]
    source = inspect.getsource(NbMetadataCollector.get_exec_data)
    assert '"exec_data"' in source, "myst-nb no longer keeps the execution data under exec_data"


def test_sphinx_logs_under_one_namespace_and_locates_nodes():
    """bookbuild.strict: one handler on Sphinx's logger namespace records every warning, with its location."""
    from sphinx.util import logging

    assert logging.NAMESPACE == "sphinx"
    assert parameters(logging.get_node_location) == ["node"]


def test_jupyter_cache_executes_one_notebook_and_reports_time_and_traceback():
    """bookbuild.preexecute: each chapter runs in a worker with jupyter-cache's own executor step."""
    import attr
    from jupyter_cache.executors.utils import ExecutionResult, single_nb_execution

    assert parameters(single_nb_execution)[:5] == ["nb", "cwd", "timeout", "allow_errors", "meta_override"]
    fields = {f.name for f in attr.fields(ExecutionResult)}
    assert {"time", "exc_string"} <= fields


def test_myst_nb_reads_a_text_notebook_as_the_build_does():
    """bookbuild.preexecute (which chapters the cache lacks) and booktools.chapters read chapters like myst-nb."""
    from myst_nb.core.read import create_nb_reader, read_myst_markdown_notebook

    assert parameters(create_nb_reader)[:4] == ["path", "md_config", "nb_config", "content"]
    assert {"config", "add_source_map", "path"} <= set(parameters(read_myst_markdown_notebook))


def test_myst_nb_writes_executed_notebooks_to_its_output_folder():
    """bookbuild.download and bookbuild.status read the executed notebooks where myst-nb wrote them."""
    import myst_nb.sphinx_ext as ext

    assert 'output_folder=str(output_folder)' in inspect.getsource(ext), \
        "myst-nb no longer sets nb_config.output_folder for the build; find where the executed notebooks go"


def test_jupyter_book_builds_with_sphinx_from_python():
    """bookbuild.editions (each translated edition) and booktools.i18n (gettext) call Jupyter Book's builder."""
    from jupyter_book.sphinx import build_sphinx

    expected = {"sourcedir", "outputdir", "noconfig", "path_config", "confoverrides", "doctreedir", "builder",
                "really_quiet"}
    assert expected <= set(parameters(build_sphinx))


def test_ipykernel_sends_a_custom_traceback_through_its_shell():
    """bookbuild.kernel_startup: a short traceback must reach the notebook as an error output."""
    from ipykernel.zmqshell import ZMQInteractiveShell

    assert "_showtraceback" in vars(ZMQInteractiveShell), "ipykernel no longer sends tracebacks itself"
    assert parameters(ZMQInteractiveShell._showtraceback) == ["self", "etype", "evalue", "stb"]


def test_sphinx_latex_draws_a_verbatim_space_with_the_macro_the_pdf_redefines():
    r"""bookbuild.pdf redefines \spx@verbatim@space so that a wrapped code line keeps its indentation."""
    import sphinx

    sty = (Path(sphinx.__file__).parent / "texinputs" / "sphinxlatexliterals.sty").read_text(encoding="utf-8")
    assert re.search(r"\\def\\spx@verbatim@space\s*\{", sty)
    assert r"\let\FV@Space\spx@verbatim@space" in sty, "Sphinx no longer draws verbatim spaces with it"


def test_sphinx_names_a_documents_catalog_domain():
    """bookbuild.translations finds the toc captions' catalog the way Sphinx's gettext builder names it."""
    from sphinx.util.i18n import docname_to_domain

    assert docname_to_domain("book/scratch/data", True) == "book"
    assert docname_to_domain("book/scratch/data", False) == "book/scratch/data"


def test_sphinx_escapes_text_for_latex_once_initialized():
    """bookbuild.pdf writes the part and bibliography titles into the LaTeX preamble itself."""
    from sphinx.util import texescape

    texescape.init()
    assert texescape.escape("50% & $", "xelatex") == r"50\% \& \$"
