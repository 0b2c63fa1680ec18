"""The projection screen's weight arithmetic (benchmarks/project_facts.py), by hand."""

import torch

from benchmarks.project_facts import project


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
