"""Null-space projection of an update (training/nullspace.py, `[unlearn] project_energy`): hand-worked bases, the
layer's output kept on the keep text's directions, and the stage end to end with the tiny model."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from training.data import TrainData
from training.models import load_model, model_folder
from training.nullspace import NullSpace, input_covariances, leading_basis, linear_layers, projected


def test_leading_basis_takes_the_fewest_eigenvectors_that_carry_the_energy():
    cov = torch.diag(torch.tensor([1.0, 6.0, 0.0, 3.0], dtype=torch.float64))  # energies 6, 3, 1, 0 of 10
    e = torch.eye(4, dtype=torch.float64)
    assert leading_basis(cov, 0.0).shape == (4, 0)
    for energy, axes in ((0.5, [1]), (0.6, [1]), (0.61, [1, 3]), (0.9, [1, 3]), (0.95, [1, 3, 0])):
        u = leading_basis(cov, energy)
        assert u.shape == (4, len(axes)), energy
        assert torch.allclose((u @ u.T).abs(), e[axes].T @ e[axes]), energy  # the projector onto those axes
    for bad in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError, match=r"energy must lie in \[0, 1\)"):
            leading_basis(cov, bad)


def test_projected_removes_the_update_on_the_basis_and_keeps_it_elsewhere():
    delta = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    u = torch.tensor([[1.0], [0.0], [0.0]])  # the first input axis
    assert torch.equal(projected(delta, u), torch.tensor([[0.0, 2.0, 3.0], [0.0, 5.0, 6.0]]))
    assert torch.equal(projected(delta, u[:, :0]), delta)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.integers(0, 10_000))
def test_a_projected_update_leaves_the_output_on_the_basis_unchanged(rank, seed):
    g = torch.Generator().manual_seed(seed)
    u, _ = torch.linalg.qr(torch.randn(8, rank, generator=g, dtype=torch.float64))
    delta = torch.randn(5, 8, generator=g, dtype=torch.float64)
    x_in = u @ torch.randn(rank, 3, generator=g, dtype=torch.float64)    # inputs inside span(u)
    x_out = torch.randn(8, 3, generator=g, dtype=torch.float64)
    x_out = x_out - u @ (u.T @ x_out)                                  # inputs orthogonal to it
    kept = projected(delta, u)
    assert torch.allclose(kept @ x_in, torch.zeros(5, 3, dtype=torch.float64), atol=1e-10)
    assert torch.allclose(kept @ x_out, delta @ x_out, atol=1e-10)


def test_input_covariances_sum_x_xT_over_real_positions_only(tiny_model_dir):
    model = load_model(tiny_model_dir)
    ids = torch.tensor([[5, 6, 7, 0], [8, 9, 0, 0]])
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]])
    cov = input_covariances(model, TrainData(ids, mask, ids), batch_size=1)
    layers = linear_layers(model)
    assert set(cov) == set(layers) and len(layers) == 2 * 7  # q, k, v, o, gate, up, down of each block
    # down_proj reads its own input; q, k, v share one, gate and up another (the covariance pass computes those once)
    names = [f"model.layers.{i}.{n}" for i in (0, 1) for n in ("mlp.down_proj", "self_attn.q_proj", "self_attn.v_proj",
                                                                 "self_attn.o_proj", "mlp.up_proj")]
    seen = {n: [] for n in names}
    hooks = [layers[n].register_forward_hook(lambda m, i, o, n=n: seen[n].append(i[0])) for n in names]
    with torch.no_grad():
        model(input_ids=ids[:1, :3])
        model(input_ids=ids[1:, :2])
    for h in hooks:
        h.remove()
    for n in names:
        x = torch.cat([s[0] for s in seen[n]]).double()   # the 3 + 2 real positions, unpadded
        want = x.T @ x  # float32 noise of a padded batch against single rows: tolerance relative to the largest entry
        assert torch.allclose(cov[n], want, rtol=1e-5, atol=1e-6 * float(want.abs().max())), n
    assert not torch.allclose(cov["model.layers.1.self_attn.q_proj"], cov["model.layers.1.self_attn.o_proj"])


def test_null_space_apply_keeps_the_layers_outputs_on_keep_text(tiny_model_dir):
    model = load_model(tiny_model_dir)
    ids = torch.randint(3, 49152, (4, 12), generator=torch.Generator().manual_seed(1))
    keep = TrainData(ids, torch.ones_like(ids), ids)
    ns = NullSpace(model, keep, energy=0.9)
    assert 0 < ns.mean_rank < 64
    name = "model.layers.0.self_attn.q_proj"
    layer = ns.layers[name]
    u = ns.bases[name]
    with torch.no_grad():
        for module in ns.layers.values():
            module.weight.add_(torch.randn_like(module.weight))        # an "update"
    removed = ns.share_on_bases()
    assert 0 < removed < 1
    before = {n: m.weight.detach().clone() for n, m in ns.layers.items()}
    ns.apply()
    taken = sum(float((before[n] - m.weight.detach()).pow(2).sum()) for n, m in ns.layers.items())
    assert taken / sum(float((before[n] - ns.start[n]).pow(2).sum()) for n in before) == pytest.approx(removed, rel=1e-4)
    delta = layer.weight.detach() - ns.start[name]
    assert torch.allclose(delta @ u, torch.zeros_like(delta @ u), atol=1e-4)
    assert ns.share_on_bases() == pytest.approx(0.0, abs=1e-9)          # projecting twice changes nothing


def test_project_energy_enters_the_version_and_needs_a_trained_method():
    from pydantic import ValidationError

    from training.unlearn import UnlearnSettings, uses_retain, version_key

    assert "project_energy" not in version_key(UnlearnSettings())
    key = version_key(UnlearnSettings(project_energy=0.5))
    assert key["project_energy"] == 0.5 and key["project_at"] == "end" and "retain_corpus" in key
    assert version_key(UnlearnSettings(project_energy=0.5, project_at="step"))["project_at"] == "step"
    assert uses_retain(UnlearnSettings(project_energy=0.5)) and not uses_retain(UnlearnSettings())
    # 0 turns off what a target file sets (`--set unlearn.project_energy=0`), to the version without the option
    assert UnlearnSettings(project_energy=0).project_energy is None
    assert version_key(UnlearnSettings(project_energy=0, project_at="step")) == version_key(UnlearnSettings())
    for bad in (-0.1, 1.0):
        with pytest.raises(ValidationError):
            UnlearnSettings(project_energy=bad)


def _stage(store, tiny_model_dir, tmp_path):
    """The unlearn stage's inputs with the tiny model (blocks, labels, subject), the common settings (one retain
    file) and a function giving the NullSpace the stage builds, from the untouched subject and the retain text cut
    as wide as the forget blocks."""
    from training.base import base_model
    from training.models import load_tokenizer
    from training.retain import retain_data
    from tests.training.test_unlearn import TARGET, write_blocks, write_labels

    (tmp_path / "retain").mkdir()
    (tmp_path / "retain" / "a.md").write_text("The miller walked to the river and sang to the ducks. " * 12)
    blocks, rows = write_blocks(store)
    labels, _ = write_labels(store, blocks, rows)
    subject, _ = base_model(store, TARGET, str(tiny_model_dir))
    common = dict(lr=3e-2, epochs=1, batch_size=4, warmup_ratio=0.0, retain_corpus=str(tmp_path / "retain"))
    inputs = dict(blocks=blocks, labels=labels, subject=subject)

    def null_space(train_only=None):
        keep = retain_data(tmp_path / "retain", load_tokenizer(tiny_model_dir),
                           width=max(len(r["input_ids"]) for r in rows))
        return NullSpace(load_model(tiny_model_dir), keep, energy=0.9, train_only=train_only)

    return TARGET, inputs, common, null_space


@pytest.mark.parametrize("at", ["end", "step"])
def test_unlearn_with_project_energy_keeps_the_update_off_the_retain_directions(store, tiny_model_dir, tmp_path, at):
    from corpus_tools.errors import ObliviateError
    from training.unlearn import UnlearnSettings, unlearn

    target, inputs, common, null_space = _stage(store, tiny_model_dir, tmp_path)
    plain, _ = unlearn(store, target, UnlearnSettings(**common), **inputs)
    kept, created = unlearn(store, target, UnlearnSettings(project_energy=0.9, project_at=at, **common), **inputs)
    assert created and kept.version != plain.version
    assert kept.stats["projected_rank_mean"] > 0
    assert (0 < kept.stats["projected_share_removed"] < 1) if at == "end" else "projected_share_removed" not in kept.stats
    after = load_model(model_folder(kept))
    ns = null_space()
    moved_off = 0.0
    for name, layer in linear_layers(after).items():
        delta = layer.weight.detach() - ns.start[name]
        on_basis = delta @ ns.bases[name]
        assert float(on_basis.abs().max()) < 1e-4 * max(1.0, float(delta.abs().max())), name
        moved_off = max(moved_off, float(delta.abs().max()))
    assert moved_off > 1e-4  # and the update itself survives outside those directions
    plain_delta = {n: l.weight.detach() - ns.start[n] for n, l in linear_layers(load_model(model_folder(plain))).items()}
    assert max(float((d @ ns.bases[n]).abs().max()) for n, d in plain_delta.items()) > 1e-3  # unprojected: it does not
    with pytest.raises(ObliviateError, match="method ensemble trains nothing"):
        unlearn(store, target, UnlearnSettings(method="ensemble", project_energy=0.5), blocks=inputs["blocks"],
                subject=inputs["subject"])


def test_null_space_holds_only_the_layers_train_only_trains(tiny_model_dir):
    """A frozen layer's update is zero: no basis, no copy, no projection for it; the trained layers' bases are the
    ones the whole model's would be (the same inputs), and a pattern that trains no linear layer is one error."""
    from corpus_tools.errors import ObliviateError

    model = load_model(tiny_model_dir)
    ids = torch.randint(3, 49152, (4, 12), generator=torch.Generator().manual_seed(2))
    keep = TrainData(ids, torch.ones_like(ids), ids)
    whole = NullSpace(model, keep, energy=0.9)
    some = NullSpace(model, keep, energy=0.9, train_only=r"layers\.0\.(self_attn\.(q_proj|k_proj)|mlp)\.")
    assert sorted(some.layers) == sorted(f"model.layers.0.{m}" for m in (
        "self_attn.q_proj", "self_attn.k_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"))
    assert len(whole.layers) > len(some.layers) and set(some.start) == set(some.bases) == set(some.layers)
    for name in some.layers:  # the same sums in the same order: bit for bit the same bases, so the same model
        assert torch.equal(some.bases[name], whole.bases[name]) and torch.equal(some.start[name], whole.start[name])
    assert some.mean_rank == pytest.approx(sum(u.shape[1] for u in some.bases.values()) / 5)
    for bad in ("embed_tokens", r"layers\.0\.self_attn\.q_proj\.bias"):
        with pytest.raises(ObliviateError, match="project_energy: the model has no linear layer inside a decoder "
                                                 "block that train_only"):
            NullSpace(model, keep, energy=0.9, train_only=bad)
    with pytest.raises(ObliviateError, match="is no regular expression"):
        NullSpace(model, keep, energy=0.9, train_only="layers.(")


def test_unlearn_with_train_only_projects_the_trained_layers_and_leaves_the_rest(store, tiny_model_dir, tmp_path):
    from training.unlearn import UnlearnSettings, unlearn

    target, inputs, common, null_space = _stage(store, tiny_model_dir, tmp_path)
    pattern = r"layers\.1\.mlp\."
    kept, _ = unlearn(store, target, UnlearnSettings(project_energy=0.9, project_at="step", train_only=pattern,
                                                     **common), **inputs)
    ns = null_space(pattern)
    assert kept.stats["projected_rank_mean"] == pytest.approx(round(ns.mean_rank, 2))
    before = dict(load_model(tiny_model_dir).named_parameters())
    for name, p in load_model(model_folder(kept)).named_parameters():
        moved = float((p.detach() - before[name].detach()).abs().max())
        if name.startswith("model.layers.1.mlp."):
            delta = p.detach() - ns.start[name.removesuffix(".weight")]
            assert moved > 1e-4, name
            assert float((delta @ ns.bases[name.removesuffix(".weight")]).abs().max()) < 1e-4 * max(1.0, moved), name
        else:
            assert moved == 0.0, name  # frozen: exactly the subject's
