"""The projection screen's weight arithmetic (benchmarks/project_facts.py), by hand."""

import pytest
import torch

from benchmarks.project_facts import contrast_basis, project
from training.nullspace import leading_basis


def test_project_removes_the_update_on_the_basis_of_projected_layers_only():
    base = {"layers.0.q.weight": torch.tensor([[1.0, 1.0], [0.0, 2.0]]), "norm.weight": torch.tensor([1.0, 1.0])}
    unlearned = {"layers.0.q.weight": torch.tensor([[2.0, 3.0], [1.0, 2.0]]), "norm.weight": torch.tensor([0.5, 1.5])}
    first_axis = torch.tensor([[1.0], [0.0]])
    out = project(base, unlearned, {"layers.0.q": first_axis})
    # update [[1, 2], [1, 0]] loses its first column: [[0, 2], [0, 0]]
    assert torch.equal(out["layers.0.q.weight"], torch.tensor([[1.0, 3.0], [0.0, 2.0]]))
    assert torch.equal(out["norm.weight"], unlearned["norm.weight"])  # no basis: the unlearned weight as it is
    none = project(base, unlearned, {"layers.0.q": first_axis[:, :0]})
    assert all(torch.equal(none[k], unlearned[k]) for k in base)


def test_project_with_a_gain_scales_the_update_s_component_on_the_basis_by_hand():
    base = {"layers.0.q.weight": torch.tensor([[1.0, 1.0], [0.0, 2.0]])}
    unlearned = {"layers.0.q.weight": torch.tensor([[2.0, 3.0], [1.0, 2.0]])}  # update [[1, 2], [1, 0]]
    first_axis = {"layers.0.q": torch.tensor([[1.0], [0.0]])}
    assert torch.equal(project(base, unlearned, first_axis, gain=1.0)["layers.0.q.weight"], unlearned["layers.0.q.weight"])
    # the update's first column doubled: [[2, 2], [2, 0]]
    assert torch.equal(project(base, unlearned, first_axis, gain=2.0)["layers.0.q.weight"],
                       torch.tensor([[3.0, 3.0], [2.0, 2.0]]))
    assert torch.equal(project(base, unlearned, first_axis, gain=0.0)["layers.0.q.weight"],
                       project(base, unlearned, first_axis)["layers.0.q.weight"])


def test_contrast_basis_blocks_what_sets_the_keep_text_apart_by_hand():
    # keep text uses axes 0 and 1, the target text axes 1 and 2: axis 0 is the keep text's own, axis 1 shared
    keep = torch.diag(torch.tensor([4.0, 4.0, 0.0, 0.0], dtype=torch.float64))
    target = torch.diag(torch.tensor([0.0, 4.0, 4.0, 0.0], dtype=torch.float64))
    one = contrast_basis(keep, target, 1, reg=0.1)
    assert torch.allclose(one.abs(), torch.tensor([[1.0], [0.0], [0.0], [0.0]], dtype=torch.float64))
    # the energy basis cannot tell the two keep axes apart: it takes both at energy 1 - eps, and the shared one first
    # when the keep text uses it more; the contrast still ranks the keep text's own axis first
    keep_more_shared = torch.diag(torch.tensor([1.0, 9.0, 0.0, 0.0], dtype=torch.float64))
    assert torch.allclose(leading_basis(keep_more_shared, 0.5).abs()[:, 0], torch.tensor([0.0, 1.0, 0.0, 0.0],
                                                                                          dtype=torch.float64))
    first = contrast_basis(keep_more_shared, target, 1, reg=0.1)[:, 0].abs()
    assert torch.allclose(first, torch.tensor([1.0, 0.0, 0.0, 0.0], dtype=torch.float64), atol=1e-6)
    # orthonormal columns, none at rank 0, and scale-free in either covariance (trace-normalised)
    two = contrast_basis(keep, target, 2, reg=0.1)
    assert torch.allclose(two.T @ two, torch.eye(2, dtype=torch.float64), atol=1e-9)
    assert contrast_basis(keep, target, 0).shape == (4, 0)
    assert torch.allclose(contrast_basis(keep * 7, target * 0.01, 1, reg=0.1).abs(), one.abs())
    with pytest.raises(ValueError, match="rank"):
        contrast_basis(keep, target, 5)
