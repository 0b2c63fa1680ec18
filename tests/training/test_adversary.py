"""Training against the relearning attack (training.loop.Adversary, [unlearn] relearn_rho): each step's gradient
is the one at the weights the attacker's move reaches, applied to the unmoved weights; checked against the
update worked out by hand."""

from __future__ import annotations

import pytest
import torch

from corpus_tools.errors import ObliviateError
from training.base import base_model
from training.data import IGNORE, ForgetData, TrainData, next_token_labels
from training.distributed import accelerator
from training.loop import Adversary, TrainSettings, lm_loss, token_loss, train
from training.models import load_model, model_folder
from training.unlearn import UnlearnSettings, relearn_loss, split_rows, unlearn, version_key, whp_loss

from tests.training.test_unlearn import TARGET, write_blocks, write_labels

RHO = 0.5


def _device():
    """Where `train` puts the model (the GPU on a machine with one): the hand-worked steps run there too."""
    return accelerator().device


def forget_data(n: int = 4, length: int = 12, seed: int = 0) -> TrainData:
    """Random blocks whose labels are a fixed token at every other position (a stand-in for generic labels)."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(300, 5000, (n, length), generator=g)
    mask = torch.ones_like(ids)
    labels = torch.full_like(ids, IGNORE)
    labels[:, ::2] = 777
    return TrainData(ids, mask, labels)


def test_next_token_labels_are_the_next_token_of_the_same_block_only():
    ids = torch.tensor([[5, 6, 7, 8], [9, 10, 0, 0]])
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]])
    assert next_token_labels(ids, mask).tolist() == [[6, 7, 8, IGNORE], [10, IGNORE, IGNORE, IGNORE]]


def test_relearn_loss_reads_the_target_rows_only(tiny_model_dir):
    model = load_model(tiny_model_dir)
    forget, retain = forget_data(2, seed=1), forget_data(2, seed=2)
    batch = ForgetData(forget, retain).batch(torch.arange(2))
    assert batch["forget"].tolist() == [True, True, False, False]
    with torch.no_grad():
        alone = lm_loss(model(input_ids=forget.input_ids).logits, next_token_labels(forget.input_ids, forget.attention_mask))
        assert float(relearn_loss(model, batch)) == pytest.approx(float(alone), rel=1e-5)
        # without a forget mask every row is the attacker's (gradient ascent's and NPO-free data)
        assert float(relearn_loss(model, forget.batch(torch.arange(2)))) == pytest.approx(float(alone), rel=1e-5)


def hand_step(model, data: TrainData, lr: float, rho: float | None) -> None:
    """One AdamW step of `train` at a constant rate, worked out without the loop; with `rho`, its gradient is
    taken at the weights moved rho along the steepest descent of the attacker's loss."""
    params = list(model.parameters())
    batch = {k: v.to(params[0].device) for k, v in data.batch(torch.arange(len(data))).items()}
    moves = None
    if rho is not None:
        relearn_loss(model, batch).backward()
        norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad) for p in params]))
        moves = [p.grad * (-rho / float(norm)) for p in params]
        with torch.no_grad():
            for p, e in zip(params, moves):
                p.add_(e)
        model.zero_grad(set_to_none=True)
    token_loss(model(input_ids=batch["input_ids"]).logits, batch).backward()
    if moves is not None:
        with torch.no_grad():
            for p, e in zip(params, moves):
                p.sub_(e)
    torch.optim.AdamW(params, lr=lr, weight_decay=0.0).step()


@pytest.mark.parametrize("rho", [None, RHO])
def test_a_step_against_the_attacker_is_the_gradient_at_the_moved_weights(tiny_model_dir, tmp_path, rho):
    data = forget_data(n=1, length=24)  # one row: the loop's shuffling cannot reorder the loss's sums
    settings = TrainSettings(lr=1e-2, epochs=1, batch_size=len(data), warmup_ratio=0.0, schedule="constant")
    trained, by_hand = load_model(tiny_model_dir, _device()), load_model(tiny_model_dir, _device())
    trained.train(), by_hand.train()
    adversary = None if rho is None else Adversary(rho, relearn_loss)
    train(trained, data, settings, acc=accelerator(), checkpoints=tmp_path / "ck", adversary=adversary)
    hand_step(by_hand, data, settings.lr, rho)
    a, b = trained.state_dict(), by_hand.state_dict()
    assert max(float((a[k] - b[k]).abs().max()) for k in a) <= 1e-6

    # and the move matters: the step without it is another step
    other = load_model(tiny_model_dir, _device())
    other.train()
    hand_step(other, data, settings.lr, None if rho is not None else RHO)
    c = other.state_dict()
    assert max(float((a[k] - c[k]).abs().max()) for k in a) > 1e-4


def test_retain_rows_are_differentiated_at_the_unmoved_weights(tiny_model_dir, tmp_path):
    """relearn_moves = "forget" (Fan et al.): the generic-label loss at the moved weights, the retain loss where the
    weights are; worked out by hand on one target row and one retain row."""
    pair = ForgetData(forget_data(n=1, length=24, seed=3), forget_data(n=1, length=24, seed=4))
    whp = UnlearnSettings(retain_term=True, retain_weight=2.0)
    loss_fn = whp_loss(whp)
    settings = TrainSettings(lr=1e-2, epochs=1, batch_size=1, warmup_ratio=0.0, schedule="constant")
    trained, by_hand, all_moved = (load_model(tiny_model_dir, _device()).train() for _ in range(3))
    train(trained, pair, settings, acc=accelerator(), checkpoints=tmp_path / "a",
          loss_fn=loss_fn, adversary=Adversary(RHO, relearn_loss, split_rows))
    pair.drawn = 0
    train(all_moved, pair, settings, acc=accelerator(), checkpoints=tmp_path / "b",
          loss_fn=loss_fn, adversary=Adversary(RHO, relearn_loss))

    batch = {k: v.to(_device()) for k, v in ForgetData(pair.forget, pair.retain).batch(torch.arange(1)).items()}
    params = list(by_hand.parameters())
    relearn_loss(by_hand, batch).backward()
    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad) for p in params]))
    moves = [p.grad * (-RHO / float(norm)) for p in params]
    by_hand.zero_grad(set_to_none=True)
    retain_ids = batch["input_ids"][1:]
    (2.0 * lm_loss(by_hand(input_ids=retain_ids).logits, batch["labels"][1:])).backward()  # at the weights as they are
    with torch.no_grad():
        for p, e in zip(params, moves):
            p.add_(e)
    token_loss(by_hand(input_ids=batch["input_ids"][:1]).logits, {"labels": batch["labels"][:1]}).backward()
    with torch.no_grad():
        for p, e in zip(params, moves):
            p.sub_(e)
    torch.optim.AdamW(params, lr=settings.lr, weight_decay=0.0).step()
    a, b, c = trained.state_dict(), by_hand.state_dict(), all_moved.state_dict()
    assert max(float((a[k] - b[k]).abs().max()) for k in a) <= 1e-6
    assert max(float((a[k] - c[k]).abs().max()) for k in a) > 1e-4


def test_split_rows_cuts_every_row_tensor_and_keeps_the_target_rows_own():
    pair = ForgetData(forget_data(n=2, seed=5), forget_data(n=2, seed=6), anchor_targets=torch.zeros(2, 12, dtype=torch.long))
    batch = pair.batch(torch.arange(2))
    target, retain = split_rows(batch)
    assert target["forget"].tolist() == [True, True] and retain["forget"].tolist() == [False, False]
    assert torch.equal(target["input_ids"], pair.forget.input_ids) and torch.equal(retain["input_ids"], pair.retain.input_ids)
    assert target["anchor_targets"].shape == (2, 12) and "anchor_targets" not in retain
    assert split_rows(pair.forget.batch(torch.arange(2)) | {"forget": torch.ones(2, dtype=torch.bool)})[1] is None


def test_split_rows_gives_the_retain_slots_to_the_retain_rows_only():
    slots = torch.zeros(3, 12, dtype=torch.bool)
    slots[1, 4] = True  # retain row 1 has a name slot
    pair = ForgetData(forget_data(n=2, seed=5), forget_data(n=3, seed=6), retain_slots=slots)
    batch = pair.batch(torch.arange(2))  # draws retain rows 0 and 1
    assert torch.equal(batch["retain_slots"], slots[:2])
    target, retain = split_rows(batch)
    assert "retain_slots" not in target and torch.equal(retain["retain_slots"], slots[:2])
    assert torch.equal(pair.batch(torch.arange(2))["retain_slots"], slots[[2, 0]])  # drawn in turn, as the rows


def test_the_move_leaves_no_gradient_and_restores_the_weights(tiny_model_dir, tmp_path):
    data = forget_data()
    model = load_model(tiny_model_dir)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    # lr so small that AdamW's step is below float32's resolution of these weights: what is left is the move
    settings = TrainSettings(lr=1e-12, epochs=1, batch_size=len(data), warmup_ratio=0.0, schedule="constant")
    train(model, data, settings, acc=accelerator(), checkpoints=tmp_path / "ck", adversary=Adversary(10.0, relearn_loss))
    after = model.state_dict()
    assert max(float((before[k].to(after[k].device) - after[k]).abs().max()) for k in before) <= 1e-6


def test_relearn_rho_trains_the_unlearned_model_and_keys_its_version(store, tiny_model_dir):
    blocks, rows = write_blocks(store)
    labels, _ = write_labels(store, blocks, rows)
    subject, _ = base_model(store, TARGET, str(tiny_model_dir))
    plain = UnlearnSettings(lr=3e-2, epochs=1, batch_size=4, warmup_ratio=0.0)
    hardened = plain.model_copy(update={"relearn_rho": RHO})
    assert "relearn_rho" not in version_key(plain) and version_key(hardened)["relearn_rho"] == RHO
    assert version_key(hardened)["relearn_moves"] == "forget"
    assert "relearn_moves" not in version_key(hardened.model_copy(update={"relearn_moves": "all"}))
    a, _ = unlearn(store, TARGET, plain, blocks=blocks, labels=labels, subject=subject)
    b, created = unlearn(store, TARGET, hardened, blocks=blocks, labels=labels, subject=subject)
    assert created and a.version != b.version and b.stats["steps"] == a.stats["steps"]
    wa, wb = load_model(model_folder(a)).state_dict(), load_model(model_folder(b)).state_dict()
    assert max(float((wa[k] - wb[k]).abs().max()) for k in wa) > 1e-4
    assert UnlearnSettings(relearn_rho=0).relearn_rho is None  # 0 turns off what a target file sets
    assert version_key(plain.model_copy(update={"relearn_rho": None})) == version_key(plain)
    with pytest.raises(ValueError):
        UnlearnSettings(relearn_rho=-0.05)
    with pytest.raises(ObliviateError, match="ensemble trains nothing"):
        unlearn(store, TARGET, UnlearnSettings(method="ensemble", relearn_rho=RHO), blocks=blocks, labels=labels,
                subject=subject)
