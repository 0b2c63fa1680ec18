"""The repair screen's training loop (benchmarks/repair_facts.py) on a tiny model."""

import pytest
import torch

from benchmarks.repair_facts import repair_loss, repair_steps
from training.data import IGNORE, TrainData
from training.models import load_model
from training.unlearn import frozen_copy


def _rows(n: int = 6, width: int = 12, vocab: int = 500) -> TrainData:
    ids = torch.randint(5, vocab, (n, width), generator=torch.Generator().manual_seed(1))
    labels = torch.cat([ids[:, 1:], torch.full((n, 1), IGNORE)], dim=1)
    return TrainData(ids, torch.ones_like(ids), labels)


def _weights(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_repair_trains_only_the_named_weights_and_yields_at_each_stop(tiny_model_dir):
    model = load_model(tiny_model_dir)
    teacher = frozen_copy(load_model(tiny_model_dir))
    before = _weights(model)
    done = list(repair_steps(model, teacher, _rows(), [1, 3], lr=1e-2, train_only=r"layers\.0\.mlp\."))
    assert done == [1, 3] and not model.training
    after = _weights(model)
    moved = {k for k in before if not torch.equal(before[k], after[k])}
    assert moved and all(".layers.0.mlp." in k for k in moved)
    assert all(torch.equal(v, after[k]) for k, v in _weights(teacher).items() if ".layers.0.mlp." not in k)


def test_repair_loss_is_the_weighted_kl_and_next_token_loss_by_hand():
    labels = torch.tensor([[1, IGNORE]])
    teacher = torch.tensor([[[0.0, 0.0], [5.0, 5.0]]])  # uniform over 2 tokens where labelled
    logits = torch.tensor([[[0.0, torch.log(torch.tensor(3.0))], [9.0, -9.0]]])  # p = (1/4, 3/4) there
    kl = 0.5 * torch.log(torch.tensor(0.5 / 0.25)) + 0.5 * torch.log(torch.tensor(0.5 / 0.75))
    ce = -torch.log(torch.tensor(0.75))  # the label is token 1
    assert torch.allclose(repair_loss(logits, teacher, labels, 2.0, 1.0), 2 * kl + ce, atol=1e-6)
    assert torch.allclose(repair_loss(logits, teacher, labels, 0.0, 1.0), ce, atol=1e-6)
    assert float(repair_loss(teacher, teacher, labels, 2.0, 0.0)) == pytest.approx(0.0, abs=1e-7)  # at the teacher


def test_repair_wraps_around_the_rows(tiny_model_dir):
    model = load_model(tiny_model_dir)
    teacher = frozen_copy(model)
    # 4 steps of 4 rows over 6 rows: the order wraps instead of running out
    assert list(repair_steps(model, teacher, _rows(), [4], lr=1e-3, train_only=None, batch_size=4)) == [4]


def test_repair_refuses_a_pattern_that_trains_nothing(tiny_model_dir):
    from corpus_tools.errors import ObliviateError

    model = load_model(tiny_model_dir)
    with pytest.raises(ObliviateError, match="matches no parameter"):
        list(repair_steps(model, frozen_copy(model), _rows(), [1], lr=1e-3, train_only="no_such_weight"))
