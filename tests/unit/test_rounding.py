"""The tolerance the re-run of every chapter allows: the last float32 digits of a number, nothing else."""

from __future__ import annotations

from booktest import same_up_to_rounding


def test_rounding_tolerance_accepts_last_digits_only():
    assert same_up_to_rounding("loss 4.627174712368287e-05", "loss 4.627185262506828e-05")
    assert same_up_to_rounding("w = [1.999927043914795]", "w = [1.9999260902404785]")
    assert not same_up_to_rounding("loss 0.0395", "loss 0.0412")
    assert not same_up_to_rounding("epoch 1, loss 0.1", "epoch 2, loss 0.1")


def test_a_rounded_print_may_flip_its_last_digit_by_one_unit_only():
    assert same_up_to_rounding("-18.350  150.508", "-18.351  150.509")
    assert same_up_to_rounding("loss 4.63e-05", "loss 4.64e-05")
    assert not same_up_to_rounding("-18.350", "-18.352")
    assert not same_up_to_rounding("-0.634", "-0.636")


def test_a_flipped_digit_may_change_the_padding_of_its_number_but_nothing_else():
    assert same_up_to_rounding("epoch  8:   0.0641 % above", "epoch  8:    0.064 % above")
    assert not same_up_to_rounding("epoch  8:   0.0641 % above", "epoch  8:    0.064 % below")
    assert not same_up_to_rounding("epoch  8: 0.0641", "epoch  8:\n0.0641")
