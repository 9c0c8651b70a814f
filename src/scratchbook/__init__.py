"""scratchbook: the code of *Linear Regression from Scratch*, tangled from its chapters.

Every module is generated; edit the chapter instead, then run `make tangle`.
The version names the exact code: the book's pages say which version made their outputs.
"""

__version__ = "0.1.0+g8d79b514e6"

from .conventions import use_book_style
from .data import synthetic_data
from .minibatches import data_iter
from .model import init_params, linreg, squared_loss, sgd
from .training import DivergenceError, train
from .concise import linreg_net, train_concise
from .closed_form import lstsq_fit
from .hyperparameters import stability_bound
from .real_data import train_val_split, standardize, r2_score
from .many_processes import train_allreduce, run_workers, train_ddp

__all__ = [
    "use_book_style",
    "synthetic_data",
    "data_iter",
    "init_params",
    "linreg",
    "squared_loss",
    "sgd",
    "DivergenceError",
    "train",
    "linreg_net",
    "train_concise",
    "lstsq_fit",
    "stability_bound",
    "train_val_split",
    "standardize",
    "r2_score",
    "train_allreduce",
    "run_workers",
    "train_ddp",
]
