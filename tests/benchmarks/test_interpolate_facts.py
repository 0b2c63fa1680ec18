"""The weight interpolation of the pretrained screen (benchmarks/interpolate_facts.py), by hand."""

import pytest
import torch

from benchmarks.interpolate_facts import interpolate


def test_interpolation_ends_at_both_models_and_is_linear_between():
    base = {"w": torch.tensor([1.0, -2.0]), "b": torch.tensor([0.5])}
    other = {"w": torch.tensor([3.0, 2.0]), "b": torch.tensor([-0.5])}
    assert all(torch.equal(interpolate(base, other, 0.0)[k], base[k]) for k in base)
    assert all(torch.equal(interpolate(base, other, 1.0)[k], other[k]) for k in base)
    mid = interpolate(base, other, 0.75)
    assert torch.allclose(mid["w"], torch.tensor([2.5, 1.0])) and torch.allclose(mid["b"], torch.tensor([-0.25]))
    assert torch.equal(base["w"], torch.tensor([1.0, -2.0]))  # the inputs are left as they were


def test_interpolation_refuses_two_architectures():
    with pytest.raises(ValueError, match="not the same architecture"):
        interpolate({"w": torch.zeros(1)}, {"v": torch.zeros(1)}, 0.5)
