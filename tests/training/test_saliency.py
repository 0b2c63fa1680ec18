"""Weight saliency (training/saliency.py): the masks pick the weights with the highest forget/retain
importance ratio, the importances are squared gradients, and unlearn with salient_share moves only the
chosen share of the weights."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from hypothesis import given, settings as hsettings, strategies as st

from training.base import base_model
from training.data import IGNORE, TrainData
from training.models import load_model, model_folder
from training.saliency import fisher, mask_gradients, salient_masks
from training.unlearn import UnlearnSettings, unlearn, version_key

from tests.training.test_unlearn import TARGET, write_blocks, write_labels


def test_masks_keep_the_highest_ratios_hand_worked():
    forget = [torch.tensor([[4.0, 1.0], [0.0, 2.0]]), torch.tensor([3.0])]
    retain = [torch.tensor([[1.0, 1.0], [1.0, 7.0]]), torch.tensor([0.0])]
    # floor = mean(1, 1, 1, 7, 0) = 2; scores 4/3, 1/3, 0, 2/9 and 3/2
    masks = salient_masks(forget, retain, share=0.4)  # 2 of 5 entries
    assert masks[0].tolist() == [[True, False], [False, False]] and masks[1].tolist() == [True]
    masks = salient_masks(forget, retain, share=0.6)  # 3 of 5: 1/3 is the third
    assert masks[0].tolist() == [[True, True], [False, False]] and masks[1].tolist() == [True]
    # a weight the retain text needs loses to one it does not, at equal importance to the target
    masks = salient_masks([torch.tensor([2.0, 2.0])], [torch.tensor([0.0, 8.0])], share=0.5)
    assert masks[0].tolist() == [True, False]
    assert all(m.all() for m in salient_masks(forget, retain, share=1.0))


@hsettings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0, 100)), min_size=2, max_size=40),
       st.floats(0.05, 1.0))
def test_every_kept_weight_scores_at_least_every_dropped_one(pairs, share):
    forget = [torch.tensor([f for f, _ in pairs])]
    retain = [torch.tensor([r for _, r in pairs])]
    (mask,) = salient_masks(forget, retain, share)
    floor = retain[0].mean().clamp_min(torch.finfo(torch.float32).tiny)
    score = forget[0] / (retain[0] + floor)
    want = max(1, round(share * len(pairs)))
    threshold = score[mask].min()
    # the threshold is the want-th largest score, and every entry at or above it is kept (ties too)
    assert torch.equal(mask, score >= threshold)
    assert int((score > threshold).sum()) < want <= int(mask.sum())


def test_fisher_is_the_mean_squared_gradient_of_each_batch(tiny_model_dir):
    model = load_model(tiny_model_dir)
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(300, 5000, (3, 12), generator=g)
    labels = torch.full_like(ids, IGNORE)
    labels[:, 3:7] = ids[:, 4:8]
    data = TrainData(ids, torch.ones_like(ids), labels)
    params = [model.model.layers[0].mlp.down_proj.weight]
    got = fisher(model, data, params, blocks=3, batch_size=2)[0]
    assert params[0].grad is None  # leaves no gradient behind
    want = torch.zeros_like(params[0])
    for rows in (slice(0, 2), slice(2, 3)):
        model.zero_grad()
        logits = model(input_ids=ids[rows]).logits
        F.cross_entropy(logits.flatten(0, 1), labels[rows].flatten(), ignore_index=IGNORE).backward()
        want += params[0].grad ** 2
    assert torch.allclose(got, want / 2, rtol=1e-4, atol=1e-12)


def test_masked_gradients_leave_the_other_entries_untouched(tiny_model_dir):
    model = load_model(tiny_model_dir)
    p = model.model.layers[0].mlp.down_proj.weight
    before = p.detach().clone()
    mask = torch.zeros_like(p, dtype=torch.bool)
    mask[:3] = True
    mask_gradients([p], [mask])
    opt = torch.optim.AdamW([p], lr=1e-2, weight_decay=0.0)
    for _ in range(3):
        model(input_ids=torch.tensor([[5, 6, 7, 8]]), labels=torch.tensor([[5, 6, 7, 8]])).loss.backward()
        opt.step()
        opt.zero_grad()
    assert torch.equal(p.detach()[3:], before[3:]) and not torch.equal(p.detach()[:3], before[:3])


def test_unlearn_with_salient_share_moves_only_that_share_and_keys_the_version(store, tiny_model_dir, tmp_path):
    assert "salient_share" not in version_key(UnlearnSettings())
    key = version_key(UnlearnSettings(salient_share=0.1))
    assert key["salient_share"] == 0.1 and key["salient_blocks"] == 32 and "retain_corpus" in key
    (tmp_path / "retain").mkdir()
    (tmp_path / "retain" / "a.md").write_text("Glaciers move slowly down the valley and carve it wider. " * 10)
    blocks, rows = write_blocks(store, translate=lambda p, tok: tok + 1 if p % 5 == 0 else tok)
    labels, _ = write_labels(store, blocks, rows)
    subject, _ = base_model(store, TARGET, str(tiny_model_dir))
    common = dict(lr=1e-2, epochs=1, batch_size=4, warmup_ratio=0.0, retain_corpus=str(tmp_path / "retain"),
                  train_only=r"layers\.")
    plain, _ = unlearn(store, TARGET, UnlearnSettings(**common), blocks=blocks, labels=labels, subject=subject)
    salient, created = unlearn(store, TARGET, UnlearnSettings(salient_share=0.1, **common), blocks=blocks,
                               labels=labels, subject=subject)
    assert created and salient.version != plain.version

    def moved(art) -> tuple[int, int, int]:
        ref = dict(load_model(model_folder(subject)).named_parameters())
        out = [0, 0, 0]  # changed inside layers, entries inside layers, changed outside
        for name, p in load_model(model_folder(art)).named_parameters():
            changed = int((p.detach() != ref[name].detach()).sum())
            if "layers." in name:
                out[0] += changed
                out[1] += p.numel()
            else:
                out[2] += changed
        return tuple(out)

    changed, total, outside = moved(salient)
    assert outside == 0 and 0 < changed <= 0.1 * total + 1
    assert moved(plain)[0] > 0.5 * total  # without the mask nearly every weight moves
    # the retain importance read at content positions only: another mask, another version
    assert "salient_retain" not in key
    content, created = unlearn(store, TARGET, UnlearnSettings(salient_share=0.1, salient_retain="content", **common),
                               blocks=blocks, labels=labels, subject=subject)
    assert created and content.version != salient.version
    changed_c, _, outside_c = moved(content)
    assert outside_c == 0 and 0 < changed_c <= 0.1 * total + 1


def test_content_retain_importance_reads_only_positions_before_content_tokens(tiny_model_dir, monkeypatch, tmp_path):
    import training.saliency as saliency
    from training.data import content_positions
    from training.models import load_tokenizer
    from training.retain import retain_data
    from training.unlearn import _mask_salient

    tok = load_tokenizer(tiny_model_dir)
    decode = lambda t: tok.decode([t])  # noqa: E731
    model = load_model(tiny_model_dir)
    g = torch.Generator().manual_seed(2)
    ids = torch.randint(300, 5000, (2, 10), generator=g)
    anchored = TrainData(ids, torch.ones_like(ids), torch.where(ids > 2000, ids, torch.full_like(ids, IGNORE)))
    (tmp_path / "a.md").write_text("Alice walked to the river and met Bob Smith there. " * 4)
    retain = retain_data(tmp_path, tok, width=16)
    seen = []
    real = saliency.fisher
    monkeypatch.setattr(saliency, "fisher", lambda m, data, *a, **k: seen.append(data) or real(m, data, *a, **k))
    _mask_salient(model, UnlearnSettings(salient_share=0.5, salient_retain="content", batch_size=2), anchored, retain,
                  decode, None)
    got = seen[1].labels
    keep = content_positions(retain.input_ids, retain.attention_mask.sum(1), decode)
    assert torch.equal(got != IGNORE, (retain.labels != IGNORE) & keep)
    words = {tok.decode([int(t)]).strip() for t in got[got != IGNORE]}
    assert words and not words & {"the", "and", "to", "."}  # only content tokens are predicted
