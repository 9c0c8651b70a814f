"""Conventions: seeds, saved code, figures and notation.

From book/toolkit/conventions.md: generated; edit the chapter instead, then run `make tangle`.
"""

_BOOK_STYLE = {
    "figure.figsize": (5.0, 3.2),
    "figure.dpi": 100,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.facecolor": "white",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 10,
    "legend.frameon": False,
}


def use_book_style() -> None:
    """Set matplotlib's defaults to the book's figure style.

    White, opaque backgrounds (readable on a dark page), a 5 x 3.2 inch
    figure at 100 dpi and light grid lines.

    Defined in chapter "Conventions: seeds, saved code, figures and notation" (book/toolkit/conventions.md).
    """
    import matplotlib.pyplot as plt  # here, not at the top: importing the package draws nothing

    plt.rcParams.update(_BOOK_STYLE)
