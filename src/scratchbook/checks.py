"""Argument checks shared by the package's modules.

From book/scratch/data.md: generated; edit the chapter instead, then run `make tangle`.
"""

def _check_positive_int(name: str, value: int) -> None:
    """Raise unless `value` is a positive integer (a count such as `batch_size`).

    Accepts value in {1, 2, 3, ...}; `True` and floats such as 10.0 are refused.

    Args:
        name: the argument's name, quoted in the error message.
        value: the number to check.

    Raises:
        TypeError: `value` is not an int.
        ValueError: `value` is below 1.

    Defined in chapter "The data" (book/scratch/data.md).
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
