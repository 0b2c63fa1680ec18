"""The repair phase (training/repair.py): its loop and loss on a tiny model, and `[unlearn] repair_steps` in the
stage (after training and the projection, from the trained weights, toward the untouched subject)."""

import pytest
import torch

from corpus_tools.errors import ObliviateError

from training.base import base_model
from training.data import IGNORE, TrainData
from training.models import load_model, load_tokenizer, model_folder
from training.repair import repair_loss, repair_steps
from training.retain import retain_data
from training.unlearn import UnlearnSettings, frozen_copy, kl_to_teacher, unlearn, version_key


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
    assert [n for n, _ in done] == [1, 3] and not model.training
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
    assert list(repair_steps(model, teacher, _rows(), [4], lr=1e-3, train_only=None, batch_size=4))[0][0] == 4


def test_repair_refuses_a_pattern_that_trains_nothing(tiny_model_dir):
    model = load_model(tiny_model_dir)
    with pytest.raises(ObliviateError, match="matches no parameter"):
        list(repair_steps(model, frozen_copy(model), _rows(), [1], lr=1e-3, train_only="no_such_weight"))


def test_repair_refuses_stops_that_do_not_increase(tiny_model_dir):
    model = load_model(tiny_model_dir)
    for stops in ([], [3, 1], [0, 2], [2, 2]):
        with pytest.raises(ValueError, match="increasing positive"):
            list(repair_steps(model, frozen_copy(model), _rows(), stops, lr=1e-3, train_only=None))


def test_repair_enters_the_version_only_when_on_and_refuses_the_ensemble(tmp_path):
    from pydantic import ValidationError

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.md").write_text("Ada Lovelace wrote notes on the engine.")
    plain = version_key(UnlearnSettings())
    assert "repair" not in plain and "repair" not in version_key(UnlearnSettings(repair_lr=5e-5))
    on = version_key(UnlearnSettings(repair_steps=20, repair_corpus=str(tmp_path / "a")))["repair"]
    assert on["steps"] == 20 and on["lr"] == 1e-4 and (on["kl_weight"], on["ce_weight"]) == (1.0, 0.0)
    (tmp_path / "a" / "x.md").write_text("Marie Curie measured radium.")  # its text, not its path, is the version
    assert version_key(UnlearnSettings(repair_steps=20, repair_corpus=str(tmp_path / "a")))["repair"] != on
    with pytest.raises(ValidationError, match="ensemble trains nothing"):
        UnlearnSettings(method="ensemble", repair_steps=5)
    with pytest.raises(ObliviateError, match="repair corpus .*nowhere: no .md or .txt files"):  # named as such
        version_key(UnlearnSettings(repair_steps=20, repair_corpus=str(tmp_path / "nowhere")))


def _repair_stage(store, tiny_model_dir, tmp_path):
    from tests.training.test_unlearn import TARGET, write_blocks, write_labels

    (tmp_path / "names").mkdir()
    (tmp_path / "names" / "a.md").write_text("Isaac Newton and Gottfried Leibniz argued over the calculus. " * 12)
    blocks, rows = write_blocks(store)
    labels, _ = write_labels(store, blocks, rows)
    subject, _ = base_model(store, TARGET, str(tiny_model_dir))
    # no retain term in training: the labels move the model off the subject on the names text too; the repair's
    # terms are the KL at retain_weight and the next-token loss at retain_ce_weight (0 here: the KL alone)
    common = dict(lr=3e-2, epochs=1, batch_size=4, warmup_ratio=0.0, retain_weight=2.0, retain_ce_weight=0.0,
                  retain_corpus=str(tmp_path / "names"))
    text = retain_data(tmp_path / "names", load_tokenizer(tiny_model_dir), width=max(len(r["input_ids"]) for r in rows))
    return TARGET, dict(blocks=blocks, labels=labels, subject=subject), common, text


def test_the_stage_repairs_the_trained_weights_as_the_loop_does(store, tiny_model_dir, tmp_path):
    target, inputs, common, text = _repair_stage(store, tiny_model_dir, tmp_path)
    plain, _ = unlearn(store, target, UnlearnSettings(**common), **inputs)
    names = str(tmp_path / "names")
    repaired, created = unlearn(store, target, UnlearnSettings(repair_steps=12, repair_lr=5e-3, repair_corpus=names,
                                                               **common), **inputs)
    assert created and repaired.version != plain.version
    assert repaired.stats["repair_steps"] == 12 and repaired.stats["repair_rows"] == len(text)
    # the same steps by hand, from the plain model as saved: the stage trained first, then repaired, in this order
    subject = load_model(model_folder(inputs["subject"]))
    by_hand = load_model(model_folder(plain))
    list(repair_steps(by_hand, frozen_copy(subject), text, [12], lr=5e-3, train_only=None, kl_weight=2.0,
                      ce_weight=0.0, batch_size=4, seed=0))
    got = load_model(model_folder(repaired)).state_dict()
    for k, v in by_hand.state_dict().items():
        assert torch.allclose(got[k], v, atol=1e-5), k

    def drift(folder) -> float:  # KL from the subject's predictions on the repair text
        with torch.no_grad():
            ref = subject(input_ids=text.input_ids, attention_mask=text.attention_mask).logits
            out = load_model(folder)(input_ids=text.input_ids, attention_mask=text.attention_mask).logits
        return float(kl_to_teacher(out, ref, text.labels))

    assert drift(model_folder(repaired)) < 0.5 * drift(model_folder(plain)), (drift(model_folder(repaired)),
                                                                               drift(model_folder(plain)))


def test_the_repair_comes_after_the_projection_and_trains_only_train_only(store, tiny_model_dir, tmp_path):
    target, inputs, common, _ = _repair_stage(store, tiny_model_dir, tmp_path)
    only = r"layers\.1\.mlp\."
    settings = UnlearnSettings(project_energy=0.9, project_at="end", train_only=only, repair_steps=3,
                               repair_corpus=str(tmp_path / "names"), **common)
    art, _ = unlearn(store, target, settings, **inputs)
    assert art.stats["projected_rank_mean"] > 0 and art.stats["repair_steps"] == 3
    projected, _ = unlearn(store, target, settings.model_copy(update={"repair_steps": 0}), **inputs)
    before, after = (load_model(model_folder(a)).state_dict() for a in (projected, art))
    moved = {k for k in before if not torch.equal(before[k], after[k])}
    assert moved and all(".layers.1.mlp." in k for k in moved)


def test_the_repair_keeps_the_salient_mask(store, tiny_model_dir, tmp_path):
    target, inputs, common, _ = _repair_stage(store, tiny_model_dir, tmp_path)
    settings = UnlearnSettings(salient_share=0.1, repair_steps=4, repair_lr=1e-2, repair_corpus=str(tmp_path / "names"),
                               **common)
    art, _ = unlearn(store, target, settings, **inputs)
    masked, _ = unlearn(store, target, settings.model_copy(update={"repair_steps": 0}), **inputs)
    ref, after, before = (load_model(model_folder(a)).state_dict() for a in (inputs["subject"], art, masked))
    for name, a in after.items():
        # only where training itself moved weights: the mask's gradient hooks stay on for the repair
        assert not bool(((a != ref[name]) & (before[name] == ref[name])).any()), name
    assert any(not torch.equal(a, before[k]) for k, a in after.items())  # and the repair did move some
