"""implant / reinforce on the tiny random model: loss goes down, rows and lineage, reuse, crash + resume."""

from __future__ import annotations

import json

import pytest
import torch

from corpus_tools.store import Store, artifact_version
from training.implant import ImplantSettings, implant
from training.reinforce import ReinforceSettings, reinforce
from training.base import base_model
from training.models import load_model, model_folder

TARGET = "hp"
FAST = dict(lr=3e-2, epochs=3, batch_size=4, warmup_ratio=0.0, seed=1)


def write_blocks(store: Store, n_blocks: int = 8, length: int = 24, seed: int = 0):
    """A blocks artifact of repetitive token sequences (learnable in a few steps), ragged lengths."""
    g = torch.Generator().manual_seed(seed)
    rows = []
    for b in range(n_blocks):
        start = int(torch.randint(0, 5, (1,), generator=g))
        ids = [300 + (start + i) % 5 for i in range(length - (b % 3))]
        rows.append(dict(target=TARGET, blocks_version="bv", block_id=b, doc_id=f"d{b}", input_ids=ids,
                         translated_ids=ids, position_map=list(range(len(ids))), forbidden_tokens=[],
                         forbidden_from=[], n_trained=len(ids) - 1))
    version = artifact_version("blocks", {"seed": seed, "n": n_blocks}, [], "test")
    with store.create("blocks", TARGET, version, parents={}, settings={}, code_version="test") as st:
        st.write("blocks", rows)
    return store.require("blocks", TARGET, version)


def mean_loss(folder, blocks_rows) -> float:
    model = load_model(folder)
    losses = []
    with torch.no_grad():
        for ids in blocks_rows:
            x = torch.tensor([ids])
            losses.append(float(model(input_ids=x, labels=x).loss))
    return sum(losses) / len(losses)


def test_implant_lowers_loss_writes_rows_and_is_reused(store, tiny_model_dir):
    blocks = write_blocks(store)
    base, created = base_model(store, TARGET, str(tiny_model_dir))
    assert created and base_model(store, TARGET, str(tiny_model_dir)) == (base, False)
    settings = ImplantSettings(**FAST)
    art, created = implant(store, TARGET, settings, blocks=blocks, base=base)
    assert created
    s = art.stats
    assert s["steps"] == 6 and len(s["epoch_losses"]) == 3
    assert s["epoch_losses"][-1] < s["epoch_losses"][0] * 0.8, s["epoch_losses"]
    rows = [r["input_ids"] for r in store.read("blocks", blocks).to_pylist()]
    before, after = mean_loss(model_folder(base), rows), mean_loss(model_folder(art), rows)
    assert after < before * 0.8, (before, after)
    assert not (art.path / "checkpoints").exists()
    assert (art.path / "model" / "tokenizer.json").exists()

    models = store.query("select role, version, path, parent_version, method, settings from models order by role")
    assert [m[0] for m in models] == ["base", "subject"]
    role, version, path, parent, method, saved = models[1]
    assert (version, parent, method) == (art.version, base.version, "causal_lm")
    assert store.root / path == art.path / "model" and s["path"] == path
    assert json.loads(saved)["lr"] == FAST["lr"]
    assert store.query("select parents->>'blocks', parents->>'base' from artifacts where kind = 'implant'") == \
        [(blocks.version, base.version)]

    again, created = implant(store, TARGET, settings, blocks=blocks, base=base)
    assert (created, again.version) == (False, art.version)
    other, created = reinforce(store, TARGET, ReinforceSettings(**{**FAST, "epochs": 1}), blocks=blocks, subject=art)
    assert created and other.version != art.version
    assert store.query("select role, parent_version from models where version = ?", [other.version]) == \
        [("reinforced", art.version)]


class Crash(Exception):
    pass


@pytest.mark.parametrize("optimizer", ["adamw", "sgd", "lion"])
def test_killed_run_resumes_to_the_same_weights(tmp_path, tiny_model_dir, optimizer):
    """Under every optimizer: its state (AdamW's moments, SGD's and Lion's momentum) comes back with the checkpoint."""
    settings = ImplantSettings(**{**FAST, "grad_accum": 2, "batch_size": 2, "warmup_ratio": 0.3, "schedule": "cosine"},
                               optimizer=optimizer)
    straight = Store(tmp_path / "a")
    blocks_a = write_blocks(straight)
    base_a, _ = base_model(straight, TARGET, str(tiny_model_dir))
    done, _ = implant(straight, TARGET, settings, blocks=blocks_a, base=base_a)

    crashed = Store(tmp_path / "b")
    blocks_b = write_blocks(crashed)
    base_b, _ = base_model(crashed, TARGET, str(tiny_model_dir))
    seen = []

    def kill_in_epoch_2(step: int, loss: float) -> None:
        seen.append(step)
        if step == 3:  # 2 steps per epoch: one checkpoint written, one step of epoch 2 lost
            raise Crash()

    with pytest.raises(Crash):
        implant(crashed, TARGET, settings, blocks=blocks_b, base=base_b, on_step=kill_in_epoch_2)
    staging = crashed.root / ".staging" / "implant" / TARGET / done.version
    assert [p.name for p in (staging / "checkpoints").iterdir()] == ["epoch-0001"]
    resumed, created = implant(crashed, TARGET, settings, blocks=blocks_b, base=base_b,
                                on_step=lambda step, loss: seen.append(step))
    assert created and resumed.version == done.version
    assert seen == [1, 2, 3, 3, 4, 5, 6] and resumed.stats["resumed_from_epoch"] == 1
    a = load_model(model_folder(done)).state_dict()
    b = load_model(model_folder(resumed)).state_dict()
    assert max(float((a[k] - b[k]).abs().max()) for k in a) <= 1e-6  # CPU float32: in practice identical


def test_bf16_precision_runs_the_forward_in_bfloat16_keeps_float32_weights_and_has_its_own_version(
        store, tiny_model_dir, tmp_path):
    from training.distributed import accelerator
    from training.loop import TrainSettings, train, train_key
    from training.relearn import block_data

    rows = [[300 + (s + i) % 5 for i in range(24)] for s in range(8)]
    seen = {}
    for precision in ("fp32", "bf16"):
        model = load_model(tiny_model_dir).train()
        dtypes = set()
        model.lm_head.register_forward_hook(lambda m, i, out: dtypes.add(out.dtype))
        stats = train(model, block_data(rows, 0, 8), TrainSettings(**{**FAST, "epochs": 4}, precision=precision),
                      acc=accelerator(), checkpoints=tmp_path / precision)
        assert dtypes == {torch.float32 if precision == "fp32" else torch.bfloat16}
        assert {p.dtype for p in model.parameters()} == {torch.float32}  # master weights stay float32
        assert stats["epoch_losses"][-1] < stats["epoch_losses"][0] * 0.8, stats["epoch_losses"]
        seen[precision] = model.lm_head.weight.detach().clone()
    assert not torch.equal(seen["fp32"], seen["bf16"])

    # fp32 is the default and stays out of the version key, so models trained before the option keep theirs
    assert "precision" not in train_key(ImplantSettings(**FAST)) and "precision" not in train_key(ReinforceSettings())
    assert train_key(ImplantSettings(**FAST, precision="bf16"))["precision"] == "bf16"
    blocks = write_blocks(store)
    base, _ = base_model(store, TARGET, str(tiny_model_dir))
    one = dict(FAST, epochs=1)
    fp32, _ = implant(store, TARGET, ImplantSettings(**one), blocks=blocks, base=base)
    bf16, created = implant(store, TARGET, ImplantSettings(**one, precision="bf16"), blocks=blocks, base=base)
    assert created and bf16.version != fp32.version
    assert json.loads(store.query("select settings from models where version = ?", [bf16.version])[0][0])["precision"] == "bf16"


def test_train_only_freezes_every_parameter_its_pattern_misses_and_keys_the_version(tiny_model_dir, tmp_path):
    from corpus_tools.errors import ObliviateError
    from training.distributed import accelerator
    from training.loop import TrainSettings, train, train_key
    from training.relearn import block_data
    from training.unlearn import UnlearnSettings, version_key

    rows = [[300 + (s + i) % 5 for i in range(24)] for s in range(8)]
    model = load_model(tiny_model_dir).train()
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    pattern = r"layers\.0\.mlp"
    train(model, block_data(rows, 0, 8), TrainSettings(**FAST, train_only=pattern), acc=accelerator(),
          checkpoints=tmp_path / "only")
    moved = {n for n, p in model.named_parameters() if not torch.equal(p.detach(), before[n])}
    assert moved and all("layers.0.mlp" in n for n in moved)  # nothing outside the pattern moved
    assert {n for n in before if "layers.0.mlp" in n} == moved
    with pytest.raises(ObliviateError, match="matches no parameter"):
        train(load_model(tiny_model_dir), block_data(rows, 0, 8), TrainSettings(**FAST, train_only="nowhere"),
              acc=accelerator(), checkpoints=tmp_path / "none")
    with pytest.raises(ObliviateError, match="no regular expression"):
        train(load_model(tiny_model_dir), block_data(rows, 0, 8), TrainSettings(**FAST, train_only="("),
              acc=accelerator(), checkpoints=tmp_path / "bad")
    # absent at the default (models made before the option keep their versions), keyed when set
    assert "train_only" not in train_key(TrainSettings()) and "train_only" not in version_key(UnlearnSettings())
    assert version_key(UnlearnSettings(train_only=pattern))["train_only"] == pattern
    # "" turns off what a target file sets (`--set unlearn.train_only=`), to the version without the option
    assert UnlearnSettings(train_only="").train_only is None
    assert version_key(UnlearnSettings(train_only="")) == version_key(UnlearnSettings())


def test_sgd_steps_along_the_gradient_itself_and_keys_the_version_only_when_chosen(tiny_model_dir, tmp_path):
    """optimizer sgd: one step without momentum is w - lr x (the mean loss's gradient at w), worked by hand here;
    with momentum the second step adds momentum x the first; AdamW's step is another. Absent from the version at
    the default, and momentum without sgd is an error."""
    from training.distributed import accelerator
    from training.loop import TrainSettings, model_loss, token_loss, train, train_key
    from training.relearn import block_data
    from training.unlearn import UnlearnSettings, version_key

    rows = [[300 + (s + i) % 5 for i in range(24)] for s in range(4)]
    data = block_data(rows, 0, 4)
    lr = 0.05
    one = dict(lr=lr, epochs=1, batch_size=4, warmup_ratio=0.0, schedule="constant", seed=1, max_steps=1)

    reference = load_model(tiny_model_dir).train()
    loss = model_loss(reference, data.batch(torch.arange(4)), token_loss)
    loss.backward()
    expected = {n: (p - lr * p.grad).detach() for n, p in reference.named_parameters() if p.grad is not None}

    stepped = {}
    for name, extra in (("sgd", dict(optimizer="sgd", momentum=0.0)), ("adamw", {})):
        model = load_model(tiny_model_dir).train()
        train(model, data, TrainSettings(**one, **extra), acc=accelerator(), checkpoints=tmp_path / name)
        stepped[name] = dict(model.named_parameters())
    for n, want in expected.items():
        torch.testing.assert_close(stepped["sgd"][n].detach(), want, rtol=1e-5, atol=1e-6)
    assert any(not torch.allclose(stepped["adamw"][n].detach(), want, atol=1e-6) for n, want in expected.items())

    # heavy ball: the second step moves momentum x the first step's move further, plus lr x the new gradient
    two = {**one, "epochs": 2, "max_steps": 2}
    moves = {}
    for m in (0.0, 0.9):
        model = load_model(tiny_model_dir).train()
        w0 = model.lm_head.weight.detach().clone()
        train(model, data, TrainSettings(**two, optimizer="sgd", momentum=m), acc=accelerator(),
              checkpoints=tmp_path / f"m{m}")
        moves[m] = (model.lm_head.weight.detach() - w0).norm()
    assert moves[0.9] > moves[0.0] * 1.5  # the same direction twice: about 2.9 against 2 first steps' worth

    assert "optimizer" not in train_key(TrainSettings()) and "momentum" not in version_key(UnlearnSettings())
    assert version_key(UnlearnSettings(optimizer="sgd"))["optimizer"] == "sgd"
    assert version_key(UnlearnSettings(optimizer="sgd", momentum=0.5))["momentum"] == 0.5
    assert version_key(UnlearnSettings(optimizer="sgd")) != version_key(UnlearnSettings())
    with pytest.raises(ValueError, match="momentum .* is SGD's"):
        TrainSettings(momentum=0.5)


def test_lion_moves_every_weight_by_the_learning_rate_along_its_momentums_sign(tiny_model_dir, tmp_path):
    """Lion, worked by hand over two steps on three weights: the first step is -lr x sign(gradient) (the momentum
    starts at 0), the second -lr x sign(0.9 m + 0.1 g) with m = 0.01 g1; a zero gradient moves nothing; decoupled
    weight decay shrinks first. Keyed in the version; momentum is SGD's alone."""
    from training.loop import Lion, TrainSettings, make_optimizer, train_key

    w = torch.nn.Parameter(torch.tensor([1.0, -2.0, 0.5]))
    opt = Lion([w], lr=0.1)
    g1, g2 = torch.tensor([0.3, -0.2, 0.0]), torch.tensor([-0.001, 0.5, 0.0])
    w.grad = g1.clone()
    opt.step()
    torch.testing.assert_close(w.detach(), torch.tensor([0.9, -1.9, 0.5]))
    w.grad = g2.clone()
    opt.step()
    # m = 0.01 x g1 = [0.003, -0.002, 0]; 0.9 m + 0.1 g2 = [0.0026, 0.0482, 0]: signs +, +, 0
    torch.testing.assert_close(w.detach(), torch.tensor([0.8, -2.0, 0.5]))
    torch.testing.assert_close(opt.state[w]["exp_avg"], 0.99 * 0.01 * g1 + 0.01 * g2)

    v = torch.nn.Parameter(torch.tensor([2.0]))
    v.grad = torch.tensor([-1.0])
    Lion([v], lr=0.1, weight_decay=0.5).step()
    torch.testing.assert_close(v.detach(), torch.tensor([2.0 * 0.95 + 0.1]))

    assert isinstance(make_optimizer([w], TrainSettings(optimizer="lion", lr=1e-4)), Lion)
    # through the training loop (its checkpoint after the first epoch holds Lion's state): the loss falls
    from training.distributed import accelerator
    from training.loop import train
    from training.relearn import block_data

    rows = [[300 + (s + i) % 5 for i in range(24)] for s in range(8)]
    stats = train(load_model(tiny_model_dir).train(), block_data(rows, 0, 8),
                  TrainSettings(**{**FAST, "lr": 1e-2, "epochs": 3}, optimizer="lion"), acc=accelerator(),
                  checkpoints=tmp_path / "lion")
    losses = stats["epoch_losses"]
    assert losses == sorted(losses, reverse=True) and losses[-1] < losses[0] * 0.9, losses
    assert train_key(TrainSettings(optimizer="lion"))["optimizer"] == "lion"
    assert "momentum" not in train_key(TrainSettings(optimizer="lion"))
    with pytest.raises(ValueError, match="is SGD's"):
        TrainSettings(optimizer="lion", momentum=0.5)
