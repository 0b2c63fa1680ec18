"""The training seed (docs/method.md): one permutation of the rows per (seed, epoch), and part of a model's version."""

from types import SimpleNamespace

import torch

from training.loop import TrainSettings, _micro_batches
from training.unlearn import UnlearnSettings, version_key

ONE = SimpleNamespace(num_processes=1, process_index=0)


def _order(seed: int, epoch: int, n: int = 23, batch: int = 4) -> list[int]:
    return torch.cat(_micro_batches(n, epoch, TrainSettings(seed=seed, batch_size=batch), ONE)).tolist()


def test_every_row_once_per_epoch_in_batches_of_the_size():
    batches = _micro_batches(23, 0, TrainSettings(batch_size=4), ONE)
    assert [len(b) for b in batches] == [4] * 5 + [3]
    assert sorted(_order(0, 0)) == list(range(23))


def test_the_order_is_fixed_by_seed_and_epoch_alone():
    assert _order(0, 0) == _order(0, 0)
    assert _order(1, 0) == _order(1, 0)
    assert _order(0, 0) != _order(1, 0)  # another seed: another order of the same rows
    assert _order(0, 0) != _order(0, 1)  # each epoch its own
    assert sorted(_order(1, 3)) == list(range(23))


def test_two_processes_split_one_order_and_wrap_around():
    s = TrainSettings(seed=2, batch_size=3)
    a = _micro_batches(10, 0, s, SimpleNamespace(num_processes=2, process_index=0))
    b = _micro_batches(10, 0, s, SimpleNamespace(num_processes=2, process_index=1))
    assert len(a) == len(b) == 2  # 12 slots for 10 rows: two rows again, so both processes step together
    assert set(torch.cat(a + b).tolist()) == set(range(10))


def test_the_seed_is_part_of_an_unlearned_model_version():
    assert version_key(UnlearnSettings(seed=1)) != version_key(UnlearnSettings())
    assert version_key(UnlearnSettings(seed=0)) == version_key(UnlearnSettings())
