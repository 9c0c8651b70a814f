"""Run by every kernel the build starts (an IPython startup file): an error shows what a reader needs.

A chapter shows some errors on purpose. IPython's traceback would run through
the library's own frames, with the absolute paths of the machine that built
the page; this one ends in the failing line of the reader's cell and the
message. Kernels a learner starts are untouched: the file is only in the
build's IPython folder.
"""


def _short_tracebacks() -> None:
    import traceback

    shell = get_ipython()  # noqa: F821  (IPython defines it in the namespace of startup files)

    def cell_name(filename: str) -> str | None:
        try:
            kind, name = shell.compile.format_code_name(filename) or (None, None)
        except Exception:  # not a file IPython compiled
            return None
        return f"{kind} {name}" if kind else None

    def short(self, etype, value, tb, tb_offset=None):
        lines = []
        frames = [f for f in traceback.extract_tb(tb) if cell_name(f.filename)]
        if frames:
            last = frames[-1]
            lines.append(f"{cell_name(last.filename)}, line {last.lineno}:")
            lines.append(f"    {last.line}")
        lines += traceback.format_exception_only(etype, value)
        stb = [line.rstrip("\n") for line in lines]
        # IPython leaves the display to the handler: ipykernel's _showtraceback sends the error output
        self._showtraceback(etype, value, stb)
        return stb

    shell.set_custom_exc((Exception,), short)


_short_tracebacks()
del _short_tracebacks
