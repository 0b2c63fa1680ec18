"""Keep an update out of the directions that text to keep activates (`[unlearn] project_energy`; docs/method.md).

A linear layer y = W x changed by D changes its output on an input x by D x. Let U hold the leading eigenvectors of the
uncentred covariance sum(x x^T) of the layer's inputs on text to keep, as many as carry a share `energy` of its
eigenvalues' sum. Replacing D by D (I - U U^T) leaves the layer's output unchanged on inputs in span(U) and keeps the
update on whatever lies outside it (null-space projection; Fang et al. 2025, "AlphaEdit"). Only the decoder blocks'
linear layers (attention and MLP projections) are projected; embeddings and norms keep their updates. With
`train_only`, only the layers whose weight it trains: a frozen layer's update is zero, so its basis, its copy of the
starting weight and its projection after every step would change nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from corpus_tools.errors import ObliviateError
from corpus_tools.progress import Reporter, task
from training.data import TrainData
from training.loop import train_pattern


def linear_layers(model, train_only: str | None = None) -> dict[str, torch.nn.Linear]:
    """The nn.Linear modules inside the decoder blocks (attention and MLP projections), by module name; with
    `train_only` (a `[unlearn] train_only` pattern), only those whose weight it trains."""
    found = None if train_only is None else train_pattern(train_only)
    return {name: module for name, module in model.named_modules()
            if isinstance(module, torch.nn.Linear) and ".layers." in name
            and (found is None or found.search(f"{name}.weight"))}


@torch.inference_mode()
def input_covariances(model, data: TrainData, batch_size: int = 8, advance: Callable[[int], None] = lambda n: None,
                      layers: dict[str, torch.nn.Linear] | None = None) -> dict[str, torch.Tensor]:
    """Per decoder linear layer (or per layer of `layers`), the sum over `data`'s real (unpadded) positions of x x^T
    of its input x (float64)."""
    layers = linear_layers(model) if layers is None else layers
    device = next(model.parameters()).device
    cov = {n: torch.zeros(m.in_features, m.in_features, dtype=torch.float64, device=device) for n, m in layers.items()}
    real: list[torch.Tensor] = []
    last: list = [None, None]  # the last input seen and its x^T x: q, k, v (and gate, up) read the same tensor

    def hook(name):
        def record(_module, inputs, _output):
            if inputs[0] is not last[0]:
                x = inputs[0][real[0]].to(torch.float64)  # (real positions, in_features)
                last[:] = [inputs[0], x.T @ x]
            cov[name] += last[1]
        return record

    handles = [m.register_forward_hook(hook(n)) for n, m in layers.items()]
    try:
        for start in range(0, len(data), batch_size):
            mask = data.attention_mask[start:start + batch_size].to(device)
            real[:] = [mask.bool()]
            model(input_ids=data.input_ids[start:start + batch_size].to(device), attention_mask=mask)
            advance(int(mask.sum()))
    finally:
        for h in handles:
            h.remove()
        last[:] = [None, None]
    return cov


def leading_basis(cov: torch.Tensor, energy: float) -> torch.Tensor:
    """The fewest leading eigenvectors of `cov` (as columns) whose eigenvalues carry at least `energy` of their sum;
    none at energy 0."""
    if not 0.0 <= energy < 1.0:
        raise ValueError(f"energy must lie in [0, 1), got {energy}")
    values, vectors = torch.linalg.eigh(cov)
    values, vectors = values.flip(0).clamp(min=0.0), vectors.flip(1)
    if energy == 0.0 or float(values.sum()) == 0.0:
        return vectors[:, :0]
    share = values.cumsum(0) / values.sum()
    rank = int(torch.searchsorted(share, torch.tensor(energy, dtype=share.dtype)).item()) + 1
    return vectors[:, :min(rank, vectors.shape[1])]


def projected(delta: torch.Tensor, basis: torch.Tensor) -> torch.Tensor:
    """delta (I - U U^T): the update with its action on span(basis) removed."""
    if not basis.shape[1]:
        return delta
    u = basis.to(delta.dtype)
    return delta - (delta @ u) @ u.T


class NullSpace:
    """The decoder linear layers' starting weights and keep-text bases of one model; `apply` projects its update."""

    def __init__(self, model, keep: TrainData, energy: float, batch_size: int = 8, progress: Reporter | None = None,
                 train_only: str | None = None):
        self.layers = linear_layers(model, train_only)
        if not self.layers:
            where = "" if train_only is None else f" that train_only {train_only!r} trains"
            raise ObliviateError(f"project_energy: the model has no linear layer inside a decoder block{where}; "
                                 "unset project_energy or train such a layer")
        advance = task(progress, "unlearn: keep-text activations", int(keep.attention_mask.sum()), "tokens")
        cov = input_covariances(model, keep, batch_size, advance, self.layers)
        self.bases = {n: leading_basis(c, energy).to(torch.float32) for n, c in cov.items()}
        self.start = {n: m.weight.detach().clone() for n, m in self.layers.items()}

    @property
    def mean_rank(self) -> float:
        return sum(u.shape[1] for u in self.bases.values()) / len(self.bases)

    @torch.no_grad()
    def apply(self) -> None:
        """Set every projected layer's weight to start + projected(update) (after every step with "step": nothing
        else is computed here)."""
        for name, module in self.layers.items():
            module.weight.copy_(self.start[name] + projected(module.weight - self.start[name], self.bases[name]))

    @torch.no_grad()
    def share_on_bases(self) -> float:
        """The share of the update's squared norm that `apply` would remove: |D U|^2 / |D|^2 over every layer (U has
        orthonormal columns), 0 when nothing moved."""
        removed = total = 0.0
        for name, module in self.layers.items():
            delta = module.weight - self.start[name]
            total = total + delta.pow(2).sum()
            removed = removed + (delta @ self.bases[name].to(delta.dtype)).pow(2).sum()
        return float(removed / total) if float(total) else 0.0
