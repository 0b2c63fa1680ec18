"""The seed-soup screen's weight average (benchmarks/soup.py) on tiny models."""

import pytest
import torch

from benchmarks.soup import mean_weights, write_soup
from corpus_tools.errors import ObliviateError
from training.models import load_model


def _shifted(src, out, by: float):
    """A copy of the tiny model at `src` with every float weight moved by `by`, written to `out`."""
    model = load_model(src)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(by)
    model.save_pretrained(out)
    return out


def test_mean_weights_by_hand():
    a = {"w": torch.tensor([1.0, 2.0]), "step": torch.tensor([3])}
    b = {"w": torch.tensor([3.0, 6.0]), "step": torch.tensor([3])}
    c = {"w": torch.tensor([2.0, 1.0]), "step": torch.tensor([3])}
    out = mean_weights([a, b, c])
    assert torch.equal(out["w"], torch.tensor([2.0, 3.0])) and torch.equal(out["step"], torch.tensor([3]))


def test_mean_weights_refuses_what_cannot_be_averaged():
    a = {"w": torch.zeros(2)}
    with pytest.raises(ObliviateError, match="at least two"):
        mean_weights([a])
    with pytest.raises(ObliviateError, match="names or shapes"):
        mean_weights([a, {"w": torch.zeros(3)}])
    with pytest.raises(ObliviateError, match="names or shapes"):
        mean_weights([a, {"v": torch.zeros(2)}])
    with pytest.raises(ObliviateError, match="non-float"):
        mean_weights([{"n": torch.tensor([1])}, {"n": torch.tensor([2])}])


def test_soup_of_two_runs_is_their_midpoint_and_loads(tiny_model_dir, tmp_path):
    up = _shifted(tiny_model_dir, tmp_path / "up", 0.01)
    down = _shifted(tiny_model_dir, tmp_path / "down", -0.01)
    out = write_soup(tmp_path / "soup", [up, down])
    soup, base = load_model(out).state_dict(), load_model(tiny_model_dir).state_dict()
    assert soup.keys() == base.keys()
    assert all(torch.allclose(soup[k], base[k], atol=1e-6) for k in base)  # +0.01 and -0.01 cancel
    assert not (tmp_path / "soup.tmp").exists()
    with pytest.raises(ObliviateError, match="exists"):
        write_soup(out, [up, down])
    assert write_soup(out, [up, up], overwrite=True) == out
    again = load_model(out).state_dict()
    assert all(torch.allclose(again[k], load_model(up).state_dict()[k]) for k in base)
