"""Part IV ("Beyond the toy"): the claims of the real-data and many-processes
chapters, checked on the executed notebooks and on the package."""

from __future__ import annotations

import datetime
import math
import time

import pytest
import torch

from booktest import ROOT, cell_outputs_text, code_cells, error_of, figure_cell, glued_numbers, png_count, text
from scratchbook import (
    lstsq_fit,
    r2_score,
    standardize,
    synthetic_data,
    train,
    train_val_split,
)

REAL = "book/beyond/real-data"


def numbers(book, docname):
    return glued_numbers(book.notebook(docname))


def plain_function(book, docname, signature, namespace):
    """Execute the chapter's unsaved cell that starts with `signature`; return the function it defines."""
    found = [c for c in code_cells(book.notebook(docname)) if c.source.startswith(signature)]
    assert len(found) == 1, f"expected one plain cell starting with {signature!r}"
    exec(found[0].source, namespace)  # noqa: S102 - the chapter's own code
    return namespace[signature.split()[1].split("(")[0]]


@pytest.fixture(scope="module")
def diabetes():
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(scaled=False, return_X_y=True)
    return torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.float32).reshape(-1, 1)


# --- train_val_split -------------------------------------------------------

def test_train_val_split_partitions_the_examples():
    features = torch.arange(50.0).reshape(25, 2)
    labels = torch.arange(25.0)
    X_train, y_train, X_val, y_val = train_val_split(features, labels, 0.2,
                                                     generator=torch.Generator().manual_seed(3))
    assert len(X_val) == len(y_val) == 5 and len(X_train) == len(y_train) == 20
    seen = torch.cat([y_train, y_val]).sort().values
    assert torch.equal(seen, labels)  # every example once, in one part only
    assert torch.equal(X_train[:, 0], 2 * y_train) and torch.equal(X_val[:, 0], 2 * y_val)


def test_train_val_split_is_reproducible_with_a_seeded_generator():
    features, labels = torch.randn(30, 3), torch.randn(30, 1)
    first = train_val_split(features, labels, 0.3, generator=torch.Generator().manual_seed(1))
    again = train_val_split(features, labels, 0.3, generator=torch.Generator().manual_seed(1))
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))


def test_plain_train_val_split_agrees_with_the_saved_one(book, diabetes):
    plain = plain_function(book, REAL, "def train_val_split(", {"torch": torch})
    features, labels = diabetes
    for fraction in [0.2, 0.5]:
        p = plain(features, labels, fraction, generator=torch.Generator().manual_seed(0))
        s = train_val_split(features, labels, fraction, generator=torch.Generator().manual_seed(0))
        assert all(torch.equal(a, b) for a, b in zip(p, s, strict=True))


def test_train_val_split_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="10 features and 9 labels"):
        train_val_split(torch.randn(10, 2), torch.randn(9, 1), 0.2)


@pytest.mark.parametrize("fraction", [0, 0.0, 1, 1.0, -0.1, 1.5, math.nan])
def test_train_val_split_rejects_fractions_outside_zero_one(fraction):
    with pytest.raises(ValueError, match=r"val_fraction must lie strictly between 0 and 1, got"):
        train_val_split(torch.randn(10, 2), torch.randn(10, 1), fraction)


@pytest.mark.parametrize("fraction", ["0.2", None, True, torch.tensor(0.2)])
def test_train_val_split_rejects_fractions_that_are_not_numbers(fraction):
    with pytest.raises(TypeError, match="val_fraction must be a real number"):
        train_val_split(torch.randn(10, 2), torch.randn(10, 1), fraction)


@pytest.mark.parametrize(("n", "fraction", "counts"), [(10, 0.01, "10 training and 0 validation"),
                                                       (10, 0.99, "0 training and 10 validation")])
def test_train_val_split_rejects_an_empty_part(n, fraction, counts):
    with pytest.raises(ValueError, match=counts):
        train_val_split(torch.randn(n, 2), torch.randn(n, 1), fraction)


def test_train_val_split_keeps_dtype():
    features, labels = torch.randn(20, 2, dtype=torch.float64), torch.randn(20, dtype=torch.float64)
    X_train, y_train, X_val, y_val = train_val_split(features, labels, 0.25)
    assert X_train.dtype == X_val.dtype == y_train.dtype == torch.float64
    assert y_train.shape == (15,) and y_val.shape == (5,)


# --- standardize -----------------------------------------------------------

def test_standardize_uses_the_training_statistics_for_both_parts():
    X_train = torch.randn(50, 3, generator=torch.Generator().manual_seed(0)) * 7 + 100
    X_val = X_train[:5] + 1.0
    Z_train, Z_val = standardize(X_train, X_val)
    assert Z_train.mean(dim=0).abs().max() < 1e-4
    assert (Z_train.std(dim=0) - 1).abs().max() < 1e-5
    # a shift of 1 in the validation rows is a shift of 1 / std in their standardized values
    assert torch.allclose(Z_val - Z_train[:5], 1 / X_train.std(dim=0).expand(5, 3), atol=1e-4)


def test_plain_standardize_agrees_with_the_saved_one(book, diabetes):
    plain = plain_function(book, REAL, "def standardize(", {"torch": torch})
    features, _ = diabetes
    for p, s in zip(plain(features[:300], features[300:]), standardize(features[:300], features[300:]),
                    strict=True):
        assert torch.equal(p, s)


def test_standardize_keeps_dtype():
    Z_train, Z_val = standardize(torch.randn(10, 2, dtype=torch.float64), torch.randn(3, 2, dtype=torch.float64))
    assert Z_train.dtype == Z_val.dtype == torch.float64


def test_standardize_names_a_constant_column():
    X_train = torch.randn(20, 4)
    X_train[:, 2] = 5.0
    with pytest.raises(ValueError, match=r"zero variance in column\(s\) \[2\] \(every value \[5.0\]\)"):
        standardize(X_train, torch.randn(3, 4))


def test_standardize_rejects_integer_features():
    with pytest.raises(TypeError, match="X_train torch.int64"):
        standardize(torch.arange(10).reshape(5, 2), torch.randn(2, 2))


def test_standardize_rejects_parts_of_different_widths():
    with pytest.raises(ValueError, match=r"got \(5, 2\) and \(3, 3\)"):
        standardize(torch.randn(5, 2), torch.randn(3, 3))


def test_standardize_rejects_a_training_part_of_one_row():
    with pytest.raises(ValueError, match="at least 2 rows.*got 1"):
        standardize(torch.randn(1, 2), torch.randn(3, 2))


# --- r2_score --------------------------------------------------------------

def test_r2_score_is_one_for_a_perfect_fit_and_zero_for_the_mean():
    y = torch.tensor([1.0, 2.0, 4.0, 7.0])
    assert r2_score(y, y.clone()) == 1.0
    assert r2_score(y, torch.full_like(y, float(y.mean()))) == pytest.approx(0.0, abs=1e-7)


def test_plain_r2_score_agrees_with_the_saved_one(book):
    plain = plain_function(book, REAL, "def r2_score(", {"torch": torch})
    g = torch.Generator().manual_seed(1)
    y, y_hat = torch.randn(30, 1, generator=g), torch.randn(30, 1, generator=g)
    assert plain(y, y_hat) == r2_score(y, y_hat)


def test_r2_score_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match=r"y of shape \(4, 1\) and y_hat of shape \(5, 1\)"):
        r2_score(torch.randn(4, 1), torch.randn(5, 1))


def test_r2_score_rejects_constant_labels():
    with pytest.raises(ValueError, match=r"all equal \(3.0\)"):
        r2_score(torch.full((4, 1), 3.0), torch.randn(4, 1))


def test_r2_score_rejects_fewer_than_two_labels():
    with pytest.raises(ValueError, match="at least 2 labels, got 1"):
        r2_score(torch.ones(1), torch.ones(1))


# --- the chapter's claims --------------------------------------------------

def test_raw_features_have_very_different_scales_in_the_chapter(book):
    g = numbers(book, REAL)
    assert g["beyond_real_mean_min"] < 2 and g["beyond_real_mean_max"] > 150
    assert g["beyond_real_std_min"] < 1 and g["beyond_real_std_max"] > 30


def test_a_tiny_validation_fraction_of_the_data_leaves_no_validation_example(diabetes):
    features, labels = diabetes
    with pytest.raises(ValueError, match="442 training and 0 validation"):
        train_val_split(features, labels, 0.001)


def test_training_part_is_standardized_exactly_and_the_validation_part_only_roughly(book):
    train_line, val_line = text(book.notebook(REAL), "Z_train, Z_val = standardize(X_train, X_val)").splitlines()
    assert float(train_line.split("means ")[1].split()[0]) < 1e-5
    assert "stds 1.000 to 1.000" in train_line
    low, high = (float(v) for v in val_line.split("means ")[1].split(",")[0].split(" to "))
    assert max(abs(low), abs(high)) > 0.05


def test_chapter_split_sizes_match_the_data(book):
    g = numbers(book, REAL)
    assert g["beyond_real_n"] == 442
    assert g["beyond_real_n_train"] + g["beyond_real_n_val"] == 442
    assert g["beyond_real_n_val"] == round(0.2 * 442)


def test_full_data_mean_gives_away_the_validation_means_in_the_chapter(book):
    g = numbers(book, REAL)
    assert g["beyond_real_leak_mean_gap"] < 1e-3
    recovered, actual = text(book.notebook(REAL), "full_mean = features.mean(dim=0)").splitlines()
    assert recovered.split(":")[1].strip() == actual.split(":")[1].strip()


def test_leak_measured_effect_is_as_small_as_the_prose_says(book):
    g = numbers(book, REAL)
    assert g["beyond_real_leak_closed_diff"] < 1e-3  # least squares does not see the scaling
    assert g["beyond_real_leak_gd_diff"] < 1e-3 * g["beyond_real_leak_gd_clean"]
    assert g["beyond_real_leak_gd_diff"] == pytest.approx(
        abs(g["beyond_real_leak_gd_clean"] - g["beyond_real_leak_gd_dirty"]), abs=1e-9)
    # far smaller than the split-to-split variation, in units of the labels' variance
    variance = g["beyond_real_label_std"] ** 2
    gd_rmse = g["beyond_real_leak_gd_clean"]
    assert 2 * gd_rmse * g["beyond_real_leak_gd_diff"] / variance < g["beyond_real_ex3_r2_spread"] / 100


def test_feature_selection_on_all_rows_is_a_leak_that_matters_in_the_chapter(book):
    g = numbers(book, REAL)
    # noise features: honestly worse than the training mean, leakily better than it
    assert g["beyond_real_select_leaky_rmse"] < g["beyond_real_select_mean_rmse"] < g["beyond_real_select_clean_rmse"]
    # by far more than the split-to-split variation: in R^2 terms, 1 - (RMSE / RMSE of the mean)^2
    mean = g["beyond_real_select_mean_rmse"]
    r2 = {k: 1 - (g[f"beyond_real_select_{k}_rmse"] / mean) ** 2 for k in ["leaky", "clean"]}
    assert r2["leaky"] - r2["clean"] > 2 * g["beyond_real_ex3_r2_spread"]


def test_least_squares_predictions_do_not_depend_on_the_standardization(diabetes):
    features, labels = diabetes
    X_train, y_train, X_val, _ = train_val_split(features.double(), labels.double(), 0.2,
                                                 generator=torch.Generator().manual_seed(0))
    Z_train, Z_val = standardize(X_train, X_val)
    mean, std = features.double().mean(dim=0), features.double().std(dim=0)
    w, b = lstsq_fit(Z_train, y_train)
    w_leak, b_leak = lstsq_fit((X_train - mean) / std, y_train)
    assert torch.allclose(Z_val @ w + b, (X_val - mean) / std @ w_leak + b_leak, atol=1e-8)


def test_standardizing_lowers_the_condition_number_and_raises_the_bound_in_the_chapter(book):
    g = numbers(book, REAL)
    assert g["beyond_real_raw_cond"] > 1e6 and g["beyond_real_standardized_cond"] < 1e3
    assert g["beyond_real_cond_ratio"] == pytest.approx(
        g["beyond_real_raw_cond"] / g["beyond_real_standardized_cond"], rel=1e-6)
    assert g["beyond_real_raw_bound"] < 1e-3 < 0.1 < g["beyond_real_standardized_bound"]
    assert g["beyond_real_raw_bound"] == pytest.approx(2 / g["beyond_real_raw_lambda_max"], rel=1e-5)
    assert g["beyond_real_standardized_bound"] == pytest.approx(
        2 / g["beyond_real_standardized_lambda_max"], rel=1e-5)
    # kappa / 1.8 epochs per e-fold
    for name in ["raw", "standardized"]:
        assert g[f"beyond_real_{name}_efold"] == pytest.approx(g[f"beyond_real_{name}_cond"] / 1.8, rel=1e-3)


def test_standardized_runs_reach_the_tolerance_and_raw_runs_do_not_in_the_chapter(book):
    g = numbers(book, REAL)
    assert g["beyond_real_tolerance"] == 0.01
    assert 0 < g["beyond_real_std_epochs"] < 20
    assert g["beyond_real_raw_epochs"] == 0  # not within the tolerance in any epoch
    assert g["beyond_real_raw_final_excess"] > 5 * g["beyond_real_tolerance"]
    assert g["beyond_real_std_final_excess"] < 1e-7  # drawn at the bottom edge of the plot
    assert 1e-4 < g["beyond_real_std_excess_100"] < 1e-2  # the pause near a thousandth
    assert g["beyond_real_floor_gap"] < 1e-5  # both scalings have the same floor
    lines = text(book.notebook(REAL), "num_epochs, tolerance = 2000, 0.01  # within 1 % of the closed-form loss")
    assert "more than 2000 epochs" in lines.splitlines()[0]
    assert "-0.00" not in lines  # no float32 noise below the floor in the printed excess


def test_closed_form_agrees_with_scikit_learn_and_gradient_descent_within_the_stated_tolerances(book):
    g = numbers(book, REAL)
    # "the same coefficients": the two double-precision fits round to the same float32 numbers
    assert g["beyond_real_referee_gap"] == 0.0
    assert g["beyond_real_gd_gap"] < 0.05
    assert g["beyond_real_gd_closed_rmse_diff"] < 0.01


def test_lstsq_fit_agrees_with_scikit_learn_on_the_diabetes_data(diabetes):
    from sklearn.linear_model import LinearRegression

    features, labels = diabetes
    X_train, y_train, X_val, _ = train_val_split(features, labels, 0.2, generator=torch.Generator().manual_seed(0))
    Z_train, _ = standardize(X_train, X_val)
    w, b = lstsq_fit(Z_train, y_train)
    referee = LinearRegression().fit(Z_train.double().numpy(), y_train.double().numpy())
    assert torch.allclose(w.double().reshape(-1), torch.tensor(referee.coef_).reshape(-1), atol=1e-3)
    assert float(b) == pytest.approx(float(referee.intercept_[0]), abs=1e-3)


def test_three_fits_score_alike_and_explain_about_half_the_variance_in_the_chapter(book):
    g = numbers(book, REAL)
    r2 = [g[f"beyond_real_{k}_val_r2"] for k in ["gd", "closed", "sklearn"]]
    rmse = [g[f"beyond_real_{k}_val_rmse"] for k in ["gd", "closed", "sklearn"]]
    assert max(r2) - min(r2) < 1e-3 and max(rmse) - min(rmse) < 0.01
    assert 0.4 < g["beyond_real_closed_val_r2"] < 0.6
    assert 0.4 < g["beyond_real_train_r2"] < 0.6
    assert g["beyond_real_closed_val_rmse"] < g["beyond_real_label_std"]
    # R^2 = 1 - MSE / variance (up to the n - 1 of the std)
    assert g["beyond_real_closed_val_r2"] == pytest.approx(
        1 - g["beyond_real_closed_val_rmse"] ** 2 / g["beyond_real_label_std"] ** 2, abs=0.02)


def test_predictions_regress_towards_the_mean_in_the_chapter(book):
    g = numbers(book, REAL)
    assert g["beyond_real_pred_range"] < g["beyond_real_actual_range"]
    assert g["beyond_real_low_bias"] > 0 > g["beyond_real_high_bias"]
    # the figure's alt text: actual progression from about 30 to 330
    assert abs(g["beyond_real_actual_min"] - 30) <= 5 and abs(g["beyond_real_actual_max"] - 330) <= 5


def test_residuals_show_little_curvature_and_no_overfitting_in_the_chapter(book):
    g = numbers(book, REAL)
    assert 0 <= g["beyond_real_residual_curve_r2"] < 0.05
    assert g["beyond_real_train_rmse"] < g["beyond_real_closed_val_rmse"] < 1.5 * g["beyond_real_train_rmse"]


def test_residual_band_widens_with_the_prediction(diabetes):
    features, labels = diabetes
    X_train, y_train, X_val, _ = train_val_split(features, labels, 0.2, generator=torch.Generator().manual_seed(0))
    Z_train, _ = standardize(X_train, X_val)
    w, b = lstsq_fit(Z_train, y_train)
    y_hat = (Z_train @ w + b).reshape(-1)
    residual = y_train.reshape(-1) - y_hat
    quarter = torch.bucketize(y_hat, y_hat.quantile(torch.tensor([0.25, 0.5, 0.75])))
    spread = [float(residual[quarter == k].std()) for k in range(4)]  # by quarter of the predictions
    assert spread[0] < 0.8 * spread[1] and spread[1] < spread[2]  # the errors grow
    assert abs(spread[3] - spread[2]) < 0.1 * spread[2]  # then level off


def test_real_data_figures_are_drawn(book):
    nb = book.notebook(REAL)
    for name in ["fig-real-data-raw-vs-standardized", "fig-real-data-predicted-vs-actual",
                 "fig-real-data-residuals"]:
        assert png_count(figure_cell(nb, name)) == 1, name


def test_part_two_rates_diverge_on_raw_features_in_the_exercise(book):
    g = numbers(book, REAL)
    assert g["beyond_real_ex1_lr_ratio"] > 100
    assert "diverge" in text(book.notebook(REAL), "from scratchbook import DivergenceError")
    assert g["beyond_real_ex1_raw_epochs"] > 1e7 and 1e3 < g["beyond_real_ex1_std_epochs"] < 1e4


def test_dropping_s2_lowers_the_condition_number_but_not_the_score_in_the_exercise(book):
    g = numbers(book, REAL)
    assert g["beyond_real_ex2_cond"] < g["beyond_real_standardized_cond"] / 3
    assert abs(g["beyond_real_ex2_r2"] - g["beyond_real_closed_val_r2"]) < 0.02


def test_split_to_split_variation_in_the_exercise(book):
    g = numbers(book, REAL)
    assert 0.01 < g["beyond_real_ex3_r2_spread"] < 0.2
    r2s = [float(v) for v in text(book.notebook(REAL), "r2s = []").split()]
    assert len(r2s) == 5 and max(r2s) - min(r2s) == pytest.approx(g["beyond_real_ex3_r2_spread"], abs=2e-3)


def test_the_chapter_names_the_data_source_as_scikit_learn_documents_it(diabetes):
    from sklearn.datasets import load_diabetes

    chapter = (ROOT / f"{REAL}.md").read_text()
    assert "{cite}`efron-lars`" in chapter
    assert "@article{efron-lars," in (ROOT / "book" / "references.bib").read_text()
    assert "licen" not in chapter.lower()  # scikit-learn documents no license for the data
    descr = load_diabetes().DESCR
    assert "Least Angle Regression" in descr
    # the chapter's names of the serum columns are scikit-learn's
    prose = " ".join(chapter.split())
    assert "tch, total cholesterol / HDL" in descr and "`s4` the ratio of total cholesterol to HDL" in prose
    assert "ldl, low-density lipoproteins" in descr and "hdl, high-density lipoproteins" in descr


# --- devices ---------------------------------------------------------------

@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_pipeline_runs_on_cuda():
    device = torch.device("cuda")
    g = torch.Generator(device=device).manual_seed(0)
    true_w = torch.tensor([2, -3.4], device=device)
    features, labels = synthetic_data(true_w, 4.2, 1000, generator=g)
    w, b, history = train(features, labels, lr=0.03, batch_size=10, num_epochs=3, generator=g)
    assert w.device.type == b.device.type == "cuda"
    assert (w.detach().reshape(-1) - true_w).abs().max() < 0.01 and abs(float(b) - 4.2) < 0.01
    assert history["epoch"][-1] < 1e-3
    X_train, y_train, X_val, y_val = train_val_split(features, labels, 0.2, generator=g)
    Z_train, Z_val = standardize(X_train, X_val)
    assert Z_train.device.type == Z_val.device.type == "cuda"
    assert r2_score(y_val, y_val) == 1.0


# --- many processes --------------------------------------------------------

MANY = "book/beyond/many-processes"


@pytest.fixture
def group_of_one():
    """A gloo process group of this process alone, for calling the workers' functions directly."""
    import torch.distributed as dist

    from scratchbook.many_processes import _free_port

    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{_free_port()}", rank=0, world_size=1,
                            timeout=datetime.timedelta(seconds=30))
    yield dist
    dist.destroy_process_group()


def plain_cell_function(book, docname, name, namespace):
    """Execute the chapter's unsaved cell that defines `name`; return the function."""
    found = [c for c in code_cells(book.notebook(docname))
             if f"def {name}(" in c.source and not c.source.startswith("#@save")]
    assert len(found) == 1, f"expected one plain cell defining {name}"
    exec(found[0].source, namespace)  # noqa: S102 - the chapter's own code
    return namespace[name]


def flat(w, b):
    return torch.cat([w.detach().reshape(-1), b.detach().reshape(-1)])


@pytest.fixture(scope="module")
def small():
    return synthetic_data(torch.tensor([2, -3.4]), 4.2, 200, generator=torch.Generator().manual_seed(0))


def test_two_workers_take_the_steps_of_single_process_train_in_the_chapter(book):
    g = numbers(book, MANY)
    assert g["beyond_mp_num_steps"] == 300
    assert g["beyond_mp_two_gap"] < 1e-6
    assert g["beyond_mp_one_gap"] < 1e-6
    assert g["beyond_mp_ranks_gap"] == 0  # both workers add the same two gradients
    assert g["beyond_mp_path_gap"] < 1e-6
    for line in text(book.notebook(MANY), "from scratchbook import train_allreduce").splitlines():
        assert float(line.rsplit(" ", 1)[1]) < 1e-6, line


def test_split_runs_part_from_one_process_only_in_the_last_bits_in_the_chapter(book):
    g = numbers(book, MANY)
    assert g["beyond_mp_path_ulps"] <= 2  # "only in the last bits of a parameter"
    assert g["beyond_mp_path_gap"] <= 2 * 4.8e-7  # at most 2 ulp of parameters below 8


def test_the_ulps_the_chapter_quotes_are_those_of_float32():
    inf = torch.tensor(float("inf"))
    for x, ulp in [(1.0, 1.2e-7), (1.9, 1.2e-7), (4.0, 4.8e-7), (7.9, 4.8e-7)]:
        x = torch.tensor(x)
        assert float(torch.nextafter(x, inf) - x) == pytest.approx(ulp, rel=0.01)
    assert torch.finfo(torch.float32).eps == 2 ** -23  # the ulp of 1


def test_ddp_takes_the_steps_of_single_process_train_in_the_chapter(book):
    assert numbers(book, MANY)["beyond_mp_ddp_gap"] < 1e-6


def test_three_workers_split_ten_examples_four_three_three_in_the_exercise(book):
    first = text(book.notebook(MANY), "print([len(part) for part in torch.arange(10).tensor_split(3)])")
    assert first.splitlines()[0] == "[4, 3, 3]"


def test_three_workers_and_unequal_sums_still_match_but_ddp_of_unequal_means_does_not(book):
    g = numbers(book, MANY)
    assert g["beyond_mp_three_gap"] < 1e-6
    assert g["beyond_mp_unequal_gap"] < 1e-6
    assert g["beyond_mp_unequal_ddp_gap"] > 100 * g["beyond_mp_unequal_gap"]
    assert g["beyond_mp_unequal_ddp_gap"] < 0.01  # slightly different parameters, still converged


def test_communication_is_counted_in_calls_and_bytes_in_the_chapter(book):
    g = numbers(book, MANY)
    assert g["beyond_mp_steps"] == 300
    assert g["beyond_mp_calls"] == 2 * 300  # one all_reduce for w and one for b per step
    assert g["beyond_mp_bytes_per_step"] == 3 * 4 and g["beyond_mp_bytes"] == 300 * 12  # d + 1 float32
    assert g["beyond_mp_numbers_sent"] == 3 and g["beyond_mp_part_size"] == 5
    found = [c for c in code_cells(book.notebook(MANY)) if c.source.startswith("steps = len(path_two) - 1")]
    assert len(found) == 1
    line = cell_outputs_text(found[0]).strip()
    assert line == "300 steps; per worker: 600 all_reduce calls, 3600 bytes of gradients, 12 per step"
    # no wall-clock number is stated: timings change from run to run
    assert not [k for k in g if "share" in k or k.endswith("_us") or "epoch_one" in k or "epoch_two" in k]


def test_train_allreduce_makes_two_all_reduce_calls_of_d_plus_one_numbers_per_step(group_of_one, small,
                                                                                   monkeypatch):
    from scratchbook import train_allreduce

    sizes, real = [], group_of_one.all_reduce

    def counting(tensor, *args, **kwargs):
        sizes.append(tensor.numel() * tensor.element_size())
        return real(tensor, *args, **kwargs)

    monkeypatch.setattr(group_of_one, "all_reduce", counting)
    features, labels = small
    train_allreduce(features, labels, 0.03, 10, 2, torch.Generator().manual_seed(0))
    steps = 2 * len(features) // 10
    assert len(sizes) == 2 * steps and sum(sizes) == steps * (features.shape[1] + 1) * 4


def test_run_workers_refuses_a_notebook_function_in_the_chapter(book):
    found = [c for c in code_cells(book.notebook(MANY)) if "raises-exception" in c.metadata.get("tags", [])]
    assert len(found) == 1
    assert "defined in __main__" in error_of(found[0]).evalue


def test_many_processes_figure_is_drawn(book):
    assert png_count(figure_cell(book.notebook(MANY), "fig-mp-paths")) == 1


def test_plain_train_allreduce_agrees_with_the_saved_one(book, group_of_one, small):
    from scratchbook import data_iter, init_params, linreg, sgd, squared_loss, train_allreduce

    namespace = {"torch": torch, "dist": group_of_one, "data_iter": data_iter, "init_params": init_params,
                 "linreg": linreg, "sgd": sgd, "squared_loss": squared_loss}
    plain = plain_cell_function(book, MANY, "train_allreduce", namespace)
    features, labels = small
    w_p, b_p = plain(features, labels, 0.03, 10, 2, torch.Generator().manual_seed(2))
    w_s, b_s, record = train_allreduce(features, labels, 0.03, 10, 2, torch.Generator().manual_seed(2))
    assert torch.equal(flat(w_p, b_p), flat(w_s, b_s))
    assert record["path"].shape == (2 * 20 + 1, 3)
    assert torch.equal(record["path"][-1], flat(w_s, b_s))
    w_t, b_t, _ = train(features, labels, 0.03, 10, 2, generator=torch.Generator().manual_seed(2))
    assert torch.equal(flat(w_s, b_s), flat(w_t, b_t))  # one worker is train


def test_plain_train_ddp_agrees_with_the_saved_one(book, group_of_one, small):
    from torch import nn
    from torch.nn.parallel import DistributedDataParallel

    from scratchbook import data_iter, init_params, squared_loss, train_ddp

    namespace = {"torch": torch, "dist": group_of_one, "data_iter": data_iter, "init_params": init_params,
                 "squared_loss": squared_loss, "nn": nn, "DistributedDataParallel": DistributedDataParallel}
    plain = plain_cell_function(book, MANY, "train_ddp", namespace)
    features, labels = small
    net_p = plain(features, labels, 0.03, 10, 2, torch.Generator().manual_seed(2))
    net_s = train_ddp(features, labels, 0.03, 10, 2, torch.Generator().manual_seed(2))
    assert torch.equal(net_p.weight, net_s.weight) and torch.equal(net_p.bias, net_s.bias)
    w_t, b_t, _ = train(features, labels, 0.03, 10, 2, generator=torch.Generator().manual_seed(2))
    assert (flat(net_s.weight, net_s.bias) - flat(w_t, b_t)).abs().max() < 1e-6


@pytest.mark.parametrize("shares", [[3, 8], [5]])
def test_workers_reject_shares_that_do_not_split_the_batch(group_of_one, small, shares):
    from scratchbook import train_allreduce, train_ddp

    features, labels = small
    for fn in (train_allreduce, train_ddp):
        with pytest.raises(ValueError, match=r"shares must be 1 positive counts adding up to batch_size=10"):
            fn(features, labels, 0.03, 10, 1, torch.Generator().manual_seed(0), shares)


def test_workers_reject_explicit_shares_with_a_short_last_batch(group_of_one, small):
    from scratchbook import train_allreduce

    features, labels = small
    with pytest.raises(ValueError, match="195 examples do not divide into batches of 10"):
        train_allreduce(features[:195], labels[:195], 0.03, 10, 1, None, [10])


@pytest.mark.parametrize("name", ["batch_size", "num_epochs"])
def test_workers_reject_counts_below_one(group_of_one, small, name):
    from scratchbook import train_allreduce, train_ddp

    features, labels = small
    for fn in (train_allreduce, train_ddp):
        with pytest.raises(ValueError, match=name):
            fn(features, labels, **{name: 0})


def test_workers_need_a_process_group(small):
    from scratchbook import train_allreduce, train_ddp

    features, labels = small
    for fn in (train_allreduce, train_ddp):
        with pytest.raises(RuntimeError, match="init_process_group"):
            fn(features, labels)


def test_run_workers_rejects_functions_from_main_and_bad_counts():
    from scratchbook import run_workers

    def local():
        return 0

    local.__module__ = "__main__"
    with pytest.raises(ValueError, match="'local' is defined in __main__"):
        run_workers(local, 2)
    with pytest.raises(ValueError, match="world_size must be at least 1, got 0"):
        run_workers(math.sqrt, 0, 1.0)
    with pytest.raises(TypeError, match="world_size must be an int"):
        run_workers(math.sqrt, 2.0, 1.0)
    with pytest.raises(ValueError, match="timeout must be a positive number of seconds, got 0"):
        run_workers(math.sqrt, 1, 1.0, timeout=0)


def test_two_spawned_workers_match_train(small):
    from scratchbook import run_workers, train_allreduce

    features, labels = small
    results = run_workers(train_allreduce, 2, features, labels, 0.03, 10, 2, torch.Generator().manual_seed(5))
    w, b, _ = train(features, labels, 0.03, 10, 2, generator=torch.Generator().manual_seed(5))
    for w_k, b_k, record in results:
        assert (flat(w_k, b_k) - flat(w, b)).abs().max() < 1e-6
        assert record["comm_seconds"] > 0


def test_run_workers_kills_a_stuck_worker_and_raises():
    from scratchbook import run_workers

    start = time.monotonic()
    with pytest.raises(TimeoutError, match="1 of 1 workers sent no result within 2 s"):
        run_workers(time.sleep, 1, 60, timeout=2)
    assert time.monotonic() - start < 30  # it did not wait for the sleep


def test_run_workers_reports_a_failed_worker():
    from scratchbook import run_workers

    with pytest.raises(RuntimeError, match=r"rank: exit code \{0: 1\}"):
        run_workers(math.sqrt, 1, -1.0, timeout=60)
