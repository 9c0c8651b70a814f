"""scratchbook: the code of *Linear Regression from Scratch*, tangled from its chapters.

Every module is generated; edit the chapter instead, then run `make tangle`.
"""

from .conventions import BOOK_STYLE, use_book_style

__all__ = [
    "BOOK_STYLE",
    "use_book_style",
]
