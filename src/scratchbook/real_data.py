"""Real data.

From book/beyond/real-data.md: generated; edit the chapter instead, then run `make tangle`.
"""

import numbers

import torch


def train_val_split(features: torch.Tensor, labels: torch.Tensor, val_fraction: float = 0.2,
                    generator: torch.Generator | None = None,
                    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Split the examples at random into a training part and a validation part.

    A random permutation of the n examples; its first m = round(val_fraction * n)
    examples validate, the other n - m train. The permutation is drawn on the
    generator's device (features' device without one).

    Args:
        features: X, shape (n, d).
        labels: y, shape (n, 1) or (n,).
        val_fraction: the share of the examples held out, strictly between 0 and 1.
        generator: the random stream for the permutation; None uses PyTorch's
            global one.

    Returns:
        X_train: shape (n - m, d); y_train: the matching labels.
        X_val: shape (m, d); y_val: the matching labels.

    Raises:
        TypeError: features or labels is not a tensor, val_fraction is not a
            real number, or generator is not a torch.Generator.
        ValueError: features or labels has no examples' dimension, they differ in
            length, val_fraction is not in (0, 1), or one of the two parts would be empty.

    Defined in chapter "Real data" (book/beyond/real-data.md).
    """
    for name, tensor in (("features", features), ("labels", labels)):
        if not isinstance(tensor, torch.Tensor):
            raise TypeError(f"{name} must be a tensor, got {type(tensor).__name__}")
        if tensor.dim() == 0:
            raise ValueError(f"{name} must hold one row per example, got a 0-d tensor {tensor.item()}")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    n = len(features)
    if len(labels) != n:
        raise ValueError(f"features and labels must have the same length, "
                         f"got {n} features and {len(labels)} labels")
    if isinstance(val_fraction, bool) or not isinstance(val_fraction, numbers.Real):
        raise TypeError(f"val_fraction must be a real number, "
                        f"got {type(val_fraction).__name__} {val_fraction!r}")
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must lie strictly between 0 and 1, got {val_fraction}")
    num_val = round(val_fraction * n)
    if not 0 < num_val < n:
        raise ValueError(f"val_fraction={val_fraction} of {n} examples leaves an empty part: "
                         f"{n - num_val} training and {num_val} validation examples")
    device = features.device if generator is None else generator.device
    indices = torch.randperm(n, generator=generator, device=device).to(features.device)
    val, tr = indices[:num_val], indices[num_val:]
    return features[tr], labels[tr], features[val], labels[val]


def standardize(X_train: torch.Tensor, X_val: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Standardize both parts with the statistics of the training part.

    X' = (X - mean) / std column by column, where mean and std (with n - 1 in
    its denominator) are those of X_train, for X_train and X_val alike.

    Args:
        X_train: the training features, shape (n, d), floating point, n >= 2.
        X_val: the validation features, shape (m, d), same dtype.

    Returns:
        The standardized X_train, shape (n, d), and X_val, shape (m, d).

    Raises:
        TypeError: a part is not a floating-point tensor, or the two differ in dtype.
        ValueError: the shapes do not match, X_train has fewer than 2 rows, or
            a column of X_train is constant (zero variance).

    Defined in chapter "Real data" (book/beyond/real-data.md).
    """
    for name, X in (("X_train", X_train), ("X_val", X_val)):
        if not (isinstance(X, torch.Tensor) and X.is_floating_point()):
            kind = X.dtype if isinstance(X, torch.Tensor) else type(X).__name__
            raise TypeError(f"standardize needs floating-point tensors, got {name} {kind}")
    if X_val.dtype != X_train.dtype:
        raise TypeError(f"X_val must have the dtype of X_train, got X_train {X_train.dtype} "
                        f"and X_val {X_val.dtype}")
    if X_train.dim() != 2 or X_val.dim() != 2 or X_train.shape[1] != X_val.shape[1]:
        raise ValueError(f"X_train and X_val must have shapes (n, d) and (m, d) with the same d, "
                         f"got {tuple(X_train.shape)} and {tuple(X_val.shape)}")
    if len(X_train) < 2:
        raise ValueError(f"X_train needs at least 2 rows for a standard deviation, got {len(X_train)}")
    mean, std = X_train.mean(dim=0), X_train.std(dim=0)  # (d,) each
    constant = (std == 0).nonzero().reshape(-1).tolist()
    if constant:
        raise ValueError(f"X_train has zero variance in column(s) {constant} (every value "
                         f"{X_train[0, constant].tolist()}): a constant feature cannot be standardized")
    return (X_train - mean) / std, (X_val - mean) / std


def r2_score(y: torch.Tensor, y_hat: torch.Tensor) -> float:
    """The coefficient of determination of predictions y_hat for labels y, labels first.

    R^2 = 1 - sum (y - y_hat)^2 / sum (y - mean(y))^2: 1 for a perfect fit, 0 for
    predicting the mean, negative for worse. The arguments come in the order of
    scikit-learn's r2_score(y_true, y_pred); R^2 is not symmetric in them.

    Args:
        y: labels, shape (n, 1) or (n,), n >= 2.
        y_hat: predictions, n of them, shape (n, 1) or (n,).

    Returns:
        R^2, a float.

    Raises:
        ValueError: the numbers of predictions and labels differ, there are
            fewer than 2, or the labels are all equal.

    Defined in chapter "Real data" (book/beyond/real-data.md).
    """
    if y.numel() != y_hat.numel():
        raise ValueError(f"y and y_hat must hold one prediction per label, got y of shape "
                         f"{tuple(y.shape)} and y_hat of shape {tuple(y_hat.shape)}")
    if y.numel() < 2:
        raise ValueError(f"r2_score needs at least 2 labels, got {y.numel()}")
    y = y.reshape(y_hat.shape)
    total = ((y - y.mean()) ** 2).sum()  # the labels' spread around their mean
    if total == 0:
        raise ValueError(f"the labels y are all equal ({float(y.reshape(-1)[0])}): "
                         f"R^2 is undefined")
    return float(1 - ((y - y_hat) ** 2).sum() / total)
