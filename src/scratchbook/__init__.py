"""scratchbook: the code of *Linear Regression from Scratch*, tangled from its chapters.

Every module is generated; edit the chapter instead, then run `make tangle`.
"""

from .conventions import use_book_style
from .data import check_positive_int, synthetic_data
from .minibatches import data_iter
from .model import init_params, linreg, squared_loss, sgd
from .training import DivergenceError, train
from .concise import linreg_net, train_concise
from .closed_form import lstsq_fit
from .hyperparameters import stability_bound

__all__ = [
    "use_book_style",
    "check_positive_int",
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
]
