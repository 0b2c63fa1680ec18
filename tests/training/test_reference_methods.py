"""Reference unlearning methods beside WHP: GA, GD, NPO losses by hand, the logit ensemble, the CLI."""

from __future__ import annotations

import json
import math

import pytest
import torch

from corpus_tools.store import Store
from training import generation as G
from training.data import IGNORE
from training.ensemble import LogitEnsemble, load_ensemble
from training.data import ForgetData
from training.gradient_ascent import ga_loss, gd_loss
from training.loop import TrainSettings
from training.npo import sequence_logp
from training.retain import retain_data
from training.base import base_model
from training.models import load_model, load_tokenizer, model_folder
from training.npo import npo_loss
from training.unlearn import UnlearnSettings, unlearn

TARGET = "hp"
FAST = dict(lr=1e-2, epochs=2, batch_size=4, warmup_ratio=0.0, seed=1)


# -- losses against plain hand computations ----------------------------------------------------

def _batch(seed=0):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(3, 4, 6, generator=g)
    labels = torch.tensor([[1, 2, 3, IGNORE], [4, 5, IGNORE, IGNORE], [0, 1, 2, 3]])
    return logits, {"labels": labels, "forget": torch.tensor([True, True, False]),
                    "ref_logp": torch.tensor([-7.0, -3.5])}


def _log_softmax(row):
    return [x - math.log(sum(math.exp(y) for y in row)) for x in row]


def _hand_ce(logits, labels, rows):
    total, n = 0.0, 0
    for b in rows:
        for t in range(labels.shape[1]):
            if labels[b, t] != IGNORE:
                total -= _log_softmax(logits[b, t].tolist())[labels[b, t]]
                n += 1
    return total / n


def _hand_seq_logp(logits, labels, b):
    return sum(_log_softmax(logits[b, t].tolist())[labels[b, t]] for t in range(labels.shape[1]) if labels[b, t] != IGNORE)


def test_ga_and_gd_losses_by_hand():
    logits, batch = _batch()
    forget = _hand_ce(logits, batch["labels"], [0, 1])
    retain = _hand_ce(logits, batch["labels"], [2])
    assert float(ga_loss(logits, batch)) == pytest.approx(-forget, rel=1e-5)
    assert float(gd_loss(0.5)(logits, batch)) == pytest.approx(-forget + 0.5 * retain, rel=1e-5)
    assert float(gd_loss(0.0)(logits, batch)) == pytest.approx(-forget, rel=1e-5)


def test_whp_retain_term_by_hand():
    from training.unlearn import whp_loss

    whp_retain_loss = lambda w: whp_loss(UnlearnSettings(retain_term=True, retain_weight=w))  # noqa: E731

    logits, batch = _batch(2)
    hard = _hand_ce(logits, batch["labels"], [0, 1])
    retain = _hand_ce(logits, batch["labels"], [2])
    assert float(whp_retain_loss(0.5)(logits, batch)) == pytest.approx(hard + 0.5 * retain, rel=1e-5)
    # soft labels: KL(p || q) over the candidates of the forget rows' labelled positions (row-major), + retain
    soft_ids = torch.tensor([[1, 2], [2, 0], [3, 4], [4, 5], [5, 1]])
    soft_p = torch.tensor([[0.7, 0.3], [0.5, 0.5], [0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    where = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]
    kl = 0.0
    for (b, t), ids, p in zip(where, soft_ids.tolist(), soft_p.tolist()):
        logq = _log_softmax(logits[b, t].tolist())
        kl += sum(pi * (math.log(pi) - logq[j]) for j, pi in zip(ids, p))
    got = whp_retain_loss(2.0)(logits, batch | {"soft_ids": soft_ids, "soft_p": soft_p})
    assert float(got) == pytest.approx(kl / 5 + 2.0 * retain, rel=1e-5)


def test_whp_label_weight_scales_only_the_generic_label_loss_by_hand():
    from training.unlearn import version_key, whp_loss

    logits, batch = _batch(5)
    hard, retain = _hand_ce(logits, batch["labels"], [0, 1]), _hand_ce(logits, batch["labels"], [2])
    weighted = lambda w: whp_loss(UnlearnSettings(retain_term=True, retain_weight=2.0, label_weight=w))  # noqa: E731
    assert float(weighted(1.0)(logits, batch)) == pytest.approx(hard + 2.0 * retain, rel=1e-5)
    assert float(weighted(0.25)(logits, batch)) == pytest.approx(0.25 * hard + 2.0 * retain, rel=1e-5)
    # the control: the retain term alone, and no gradient reaches the target rows' logits
    control = logits.clone().requires_grad_()
    got = weighted(0.0)(control, batch)
    assert float(got.detach()) == pytest.approx(2.0 * retain, rel=1e-5)
    got.backward()
    assert float(control.grad[:2].abs().sum()) == 0.0 and float(control.grad[2].abs().sum()) > 0
    # in the version only when it is not the paper's 1, so the models made before the option keep theirs
    assert "label_weight" not in version_key(UnlearnSettings(retain_term=True))
    assert version_key(UnlearnSettings(retain_term=True, label_weight=0.0))["label_weight"] == 0.0
    with pytest.raises(ValueError, match="only rescales the learning rate"):
        UnlearnSettings(label_weight=0.0)
    with pytest.raises(ValueError, match="needs method"):
        UnlearnSettings(method="gd", retain_term=True, label_weight=0.0)


def test_whp_forget_term_is_token_npo_on_anchored_tokens_by_hand():
    from training.npo import token_npo_loss
    from training.unlearn import whp_loss

    logits, batch = _batch(3)
    anchored = torch.tensor([[IGNORE, 4, IGNORE, IGNORE], [0, IGNORE, IGNORE, IGNORE]])  # forget rows only
    ref = torch.tensor([[0.0, -1.2, 0.0, 0.0], [-0.4, 0.0, 0.0, 0.0]])
    beta = 2.0
    terms = []
    for b, t in ((0, 1), (1, 0)):
        ratio = _log_softmax(logits[b, t].tolist())[int(anchored[b, t])] - float(ref[b, t])
        terms.append((2.0 / beta) * math.log(1.0 + math.exp(beta * ratio)))  # -(2/beta) log sigmoid(-beta ratio)
    assert float(token_npo_loss(logits[:2], anchored, ref, beta)) == pytest.approx(sum(terms) / 2, rel=1e-5)
    # at the reference itself every anchored token costs (2 / beta) ln 2
    at_ref = torch.tensor([[0.0, _log_softmax(logits[0, 1].tolist())[4], 0.0, 0.0],
                           [_log_softmax(logits[1, 0].tolist())[0], 0.0, 0.0, 0.0]])
    assert float(token_npo_loss(logits[:2], anchored, at_ref, beta)) == pytest.approx(2.0 / beta * math.log(2), rel=1e-5)
    # no anchored token: zero, with the graph kept
    none = token_npo_loss(logits[:2].requires_grad_(), torch.full_like(anchored, IGNORE), ref, beta)
    assert float(none.detach()) == 0.0 and none.requires_grad
    # in WHP: generic labels on the forget rows + weight x the term + the retain rows' loss
    settings = UnlearnSettings(forget_weight=0.5, forget_beta=beta, retain_term=True, retain_weight=2.0)
    got = whp_loss(settings)(logits.detach(), batch | {"anchor_targets": anchored, "ref_logp": ref})
    want = _hand_ce(logits, batch["labels"], [0, 1]) + 0.5 * sum(terms) / 2 + 2.0 * _hand_ce(logits, batch["labels"], [2])
    assert float(got) == pytest.approx(want, rel=1e-5)
    assert whp_loss(UnlearnSettings()) is None  # the paper's loss: the plain token loss


def test_whp_kl_retain_term_by_hand():
    from training.unlearn import kl_to_teacher, whp_loss

    logits, batch = _batch(4)
    teacher_logits = torch.randn(logits.shape, generator=torch.Generator().manual_seed(9))
    kl, n = 0.0, 0
    for t in range(4):  # row 2 is the retain row; every position has a label
        p, q = _log_softmax(teacher_logits[2, t].tolist()), _log_softmax(logits[2, t].tolist())
        kl += sum(math.exp(a) * (a - b) for a, b in zip(p, q))
        n += 1
    assert float(kl_to_teacher(logits[2:], teacher_logits[2:], batch["labels"][2:])) == pytest.approx(kl / n, rel=1e-5)
    assert float(kl_to_teacher(logits, logits, batch["labels"])) == pytest.approx(0.0, abs=1e-6)

    class Teacher:  # stands for the frozen subject: returns the fixed logits of the rows it is given
        def __call__(self, input_ids, attention_mask, use_cache):
            assert input_ids.shape[0] == 1
            return type("Out", (), {"logits": teacher_logits[2:]})

    settings = UnlearnSettings(retain_term=True, retain_weight=3.0, retain_loss="kl")
    batch = batch | {"input_ids": torch.zeros(3, 4, dtype=torch.long), "attention_mask": torch.ones(3, 4, dtype=torch.long)}
    got = whp_loss(settings, {"model": Teacher()})(logits, batch)
    assert float(got) == pytest.approx(_hand_ce(logits, batch["labels"], [0, 1]) + 3.0 * kl / n, rel=1e-5)
    both = whp_loss(settings.model_copy(update={"retain_ce_weight": 0.5}), {"model": Teacher()})(logits, batch)
    assert float(both) == pytest.approx(float(got) + 0.5 * _hand_ce(logits, batch["labels"], [2]), rel=1e-5)

    # name slots: the KL at a slot counts 1 + retain_slot_weight times; the mean still divides by the positions
    slots = torch.tensor([[False, True, False, True]])  # the retain row's positions 1 and 3 precede a name
    per = []
    for t in range(4):
        p, q = _log_softmax(teacher_logits[2, t].tolist()), _log_softmax(logits[2, t].tolist())
        per.append(sum(math.exp(a) * (a - b) for a, b in zip(p, q)))
    weighted = (per[0] + 5.0 * per[1] + per[2] + 5.0 * per[3]) / 4
    w = torch.tensor([[1.0, 5.0, 1.0, 5.0]])
    assert float(kl_to_teacher(logits[2:], teacher_logits[2:], batch["labels"][2:], w)) == pytest.approx(weighted, rel=1e-5)
    assert float(kl_to_teacher(logits[2:], teacher_logits[2:], batch["labels"][2:], torch.ones(1, 4))) == pytest.approx(kl / n, rel=1e-5)
    slotted = settings.model_copy(update={"retain_slot_weight": 4.0})
    got = whp_loss(slotted, {"model": Teacher()})(logits, batch | {"retain_slots": slots})
    assert float(got) == pytest.approx(_hand_ce(logits, batch["labels"], [0, 1]) + 3.0 * weighted, rel=1e-5)
    # a label-less position counts for nothing, weighted or not
    masked = batch["labels"][2:].clone()
    masked[0, 1] = IGNORE
    assert float(kl_to_teacher(logits[2:], teacher_logits[2:], masked, w)) == pytest.approx(
        (per[0] + per[2] + 5.0 * per[3]) / 3, rel=1e-5)


def test_whp_forget_term_pushes_the_anchored_token_down():
    from training.npo import token_npo_loss

    logits = torch.zeros(1, 2, 5, requires_grad=True)
    anchored = torch.tensor([[3, IGNORE]])
    token_npo_loss(logits, anchored, torch.full((1, 2), math.log(0.2)), beta=1.0).backward()
    grad = logits.grad[0]
    # gradient descent lowers the anchored token's logit and raises the others; the unanchored position is untouched
    assert grad[0, 3] > 0 and bool((grad[0, [0, 1, 2, 4]] < 0).all()) and bool((grad[1] == 0).all())


def test_npo_loss_by_hand():
    logits, batch = _batch(1)
    beta = 0.3
    seq = [_hand_seq_logp(logits, batch["labels"], b) for b in (0, 1)]
    assert sequence_logp(logits[:2], batch["labels"][:2]).tolist() == pytest.approx(seq, rel=1e-5)
    terms = []
    for b in (0, 1):
        ratio = seq[b] - float(batch["ref_logp"][b])
        sigmoid = 1.0 / (1.0 + math.exp(beta * ratio))  # sigmoid(-beta * ratio)
        terms.append(-(2.0 / beta) * math.log(sigmoid))
    want = sum(terms) / 2
    assert float(npo_loss(beta)(logits, batch)) == pytest.approx(want, rel=1e-5)
    retain = _hand_ce(logits, batch["labels"], [2])
    assert float(npo_loss(beta, 2.0)(logits, batch)) == pytest.approx(want + 2.0 * retain, rel=1e-5)


def test_retain_blocks_do_not_straddle_documents(tmp_path, smollm2_tokenizer):
    tok = smollm2_tokenizer
    texts = {"a.md": "Rivers carry water down to the sea. " * 5, "b.txt": "Bread needs flour.", "skip.json": "x"}
    for name, text in texts.items():
        (tmp_path / name).write_text(text)
    data = retain_data(tmp_path, tok, width=16)
    a = tok(texts["a.md"], add_special_tokens=False)["input_ids"]
    b = tok(texts["b.txt"], add_special_tokens=False)["input_ids"]
    want = [a[s:s + 16] for s in range(0, len(a), 16) if len(a[s:s + 16]) >= 2] + [b]
    lengths = data.attention_mask.sum(1).tolist()
    assert lengths == [len(p) for p in want]
    assert [data.input_ids[i, :n].tolist() for i, n in enumerate(lengths)] == want
    assert data.labels[0, :15].tolist() == want[0][1:] and data.labels[0, 15] == IGNORE
    stacked = ForgetData(data, data).batch(torch.tensor([0, 1]))
    assert stacked["input_ids"].shape == (4, 16) and stacked["forget"].tolist() == [True, True, False, False]


# -- the logit ensemble ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def reinforced_dir(tiny_model_dir, tmp_path_factory):
    """The tiny model with perturbed weights: a second model with the same vocabulary."""
    model, tok = load_model(tiny_model_dir), load_tokenizer(tiny_model_dir)
    g = torch.Generator().manual_seed(5)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.5 * p.std() * torch.randn(p.shape, generator=g))
    out = tmp_path_factory.mktemp("reinforced")
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def test_ensemble_logits_are_the_formula_and_cached_decoding_matches(tiny_model_dir, reinforced_dir):
    base, reinforced = load_model(tiny_model_dir), load_model(reinforced_dir)
    ens = LogitEnsemble(base, reinforced, alpha=5.0)
    ids = torch.randint(300, 40000, (2, 10), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        v_b, v_r = base(ids).logits, reinforced(ids).logits
        full = ens(ids).logits
        assert torch.allclose(full, v_b - 5.0 * torch.relu(v_r - v_b), atol=1e-5)
        assert not torch.allclose(full, v_b, atol=1e-3)  # the two models do differ
        out = ens(ids[:, :6], use_cache=True)
        steps = [out.logits]
        for t in range(6, 10):
            out = ens(ids[:, t:t + 1], past_key_values=out.cache, use_cache=True)
            steps.append(out.logits)
    assert torch.allclose(torch.cat(steps, 1), full, atol=1e-4)


def _greedy_without_cache(model, ids, n):
    for _ in range(n):
        ids = torch.cat([ids, model(ids).logits[:, -1:].argmax(-1)], 1)
    return ids


def test_ensemble_generation_matches_uncached_greedy(tiny_model_dir, reinforced_dir):
    base, tok = load_model(tiny_model_dir), load_tokenizer(tiny_model_dir)
    reinforced = load_model(reinforced_dir)
    prompts = ["The castle stood on a hill and", "Once", "She opened the old wooden door"]
    ens = LogitEnsemble(base, reinforced, alpha=5.0)
    batched = G.greedy_complete(ens, tok, prompts, max_new_tokens=5, batch_size=3)  # left padding + both caches
    with torch.no_grad():
        for prompt, got in zip(prompts, batched):
            ids = tok(prompt, return_tensors="pt")["input_ids"]
            want = _greedy_without_cache(ens, ids, 5)[0, ids.shape[1]:]
            assert got == tok.decode(want, skip_special_tokens=True)
    # every step's logits in the left-padded cached batch equal a full forward of that prompt alone
    seen = []

    class Recorder(LogitEnsemble):
        def forward(self, *args, **kw):
            out = super().forward(*args, **kw)
            seen.append(out.logits[:, -1])
            return out

    recorder = Recorder(base, reinforced, 5.0)
    tok.padding_side = "left"
    enc = tok(prompts, return_tensors="pt", padding=True)
    seq = recorder.generate(**enc, max_new_tokens=4, pad_token_id=tok.pad_token_id)
    with torch.no_grad():
        for i, prompt in enumerate(prompts):
            n = len(tok(prompt)["input_ids"])
            alone = ens(seq[i:i + 1, enc["input_ids"].shape[1] - n:]).logits[0]
            for step, logits in enumerate(seen):
                assert torch.allclose(logits[i], alone[n - 1 + step], atol=1e-4), (prompt, step)
    # alpha 0 is the subject alone: the same text as HF generate on it
    plain = LogitEnsemble(base, reinforced, alpha=0.0)
    assert G.greedy_complete(plain, tok, prompts, 5, 3) == G.greedy_complete(base, tok, prompts, 5, 3)


# -- recipes and the CLI -----------------------------------------------------------------------

def write_blocks(store: Store, n_blocks: int = 6, length: int = 16):
    rows = []
    for b in range(n_blocks):
        ids = [300 + (b + i) % 7 for i in range(length - b % 2)]
        rows.append(dict(target=TARGET, blocks_version="bv", block_id=b, doc_id=f"d{b}", input_ids=ids,
                         translated_ids=ids, position_map=list(range(len(ids))), forbidden_tokens=[],
                         forbidden_from=[], n_trained=len(ids) - 1))
    with store.create("blocks", TARGET, "bv", parents={}, settings={}, code_version="test") as st:
        st.write("blocks", rows)
    return store.require("blocks", TARGET, "bv"), [r["input_ids"] for r in rows]


def forget_nll(folder, rows) -> float:
    model = load_model(folder)
    with torch.no_grad():
        return sum(float(model(input_ids=torch.tensor([r]), labels=torch.tensor([r])).loss) for r in rows) / len(rows)


def test_ga_gd_npo_recipes_forget_and_register(store, tiny_model_dir, tmp_path):
    (tmp_path / "retain").mkdir()
    (tmp_path / "retain" / "a.md").write_text("Water falls as rain and flows back to the sea. " * 8)
    blocks, rows = write_blocks(store)
    subject, _ = base_model(store, TARGET, str(tiny_model_dir))
    before = forget_nll(model_folder(subject), rows)
    made = {}
    for method, extra in (("ga", {}), ("gd", {"retain_corpus": str(tmp_path / "retain")}), ("npo", {"beta": 0.2})):
        art, created = unlearn(store, TARGET, UnlearnSettings(**FAST, method=method, **extra), blocks=blocks,
                               subject=subject)
        assert created and art.stats["steps"] == 4
        assert forget_nll(model_folder(art), rows) > before + 0.05, method
        made[method] = art
    # NPO's first loss is (2 / beta) ln 2: the model is its own reference before the first update
    assert made["npo"].stats["first_loss"] == pytest.approx(2 / 0.2 * math.log(2), rel=1e-4)
    got = store.query("select method, role, parent_version from models where role = 'unlearned' order by method")
    assert got == [(m, "unlearned", subject.version) for m in ("ga", "gd", "npo")]
    assert len({a.version for a in made.values()}) == 3
    again = unlearn(store, TARGET, UnlearnSettings(**FAST, method="npo", beta=0.2), blocks=blocks, subject=subject)
    assert again == (made["npo"], False)
    other, created = unlearn(store, TARGET, UnlearnSettings(**FAST, method="npo", beta=0.5), blocks=blocks,
                             subject=subject, on_step=lambda s, l: None)
    assert created and other.version != made["npo"].version
    saved = json.loads(store.query("select settings from models where version = ?", [made["gd"].version])[0][0])
    assert (saved["method"], saved["retain_weight"]) == ("gd", 1.0)


def test_version_key_holds_only_what_the_method_uses():
    from training.unlearn import version_key

    # defaults (fp32, all, AdamW) are not in the key
    train = set(TrainSettings.model_fields) - {"precision", "train_only", "optimizer", "momentum"}
    whp = version_key(UnlearnSettings(lr=1e-4))
    assert set(whp) == train | {"method", "soft_labels", "retain_term"}
    assert version_key(UnlearnSettings(lr=1e-4, beta=0.7)) == whp  # beta is NPO's, not WHP's
    assert version_key(UnlearnSettings(lr=1e-4, method="ga")) != whp
    assert set(version_key(UnlearnSettings(method="ga"))) == train | {"method"}
    assert version_key(UnlearnSettings(method="ga", precision="bf16"))["precision"] == "bf16"
    assert version_key(UnlearnSettings(method="ga", optimizer="sgd"))["momentum"] == 0.9
    assert version_key(UnlearnSettings(method="ensemble", alpha=2)) == {"method": "ensemble", "alpha": 2.0}
    with_retain = version_key(UnlearnSettings(lr=1e-4, retain_term=True))
    assert set(with_retain) - set(whp) == {"retain_weight", "retain_corpus"}
    assert version_key(UnlearnSettings(lr=1e-4, retain_term=True, retain_weight=0.5)) != with_retain


def test_whp_translated_term_by_hand():
    """Rows: two target rows, one retain row, one translated row. The teacher runs once over the last two; the
    retain row's KL (x retain_weight) and the translated row's KL (x translated_weight) are separate means."""
    from training.unlearn import whp_loss

    g = torch.Generator().manual_seed(11)
    logits = torch.randn(4, 4, 6, generator=g)
    teacher_logits = torch.randn(4, 4, 6, generator=g)
    labels = torch.tensor([[1, 2, 3, IGNORE], [4, 5, IGNORE, IGNORE], [0, 1, 2, 3], [3, 2, IGNORE, IGNORE]])
    batch = {"labels": labels, "forget": torch.tensor([True, True, False, False]),
             "translated": torch.tensor([False, False, False, True]),
             "input_ids": torch.zeros(4, 4, dtype=torch.long), "attention_mask": torch.ones(4, 4, dtype=torch.long)}
    seen = []

    class Teacher:
        def __call__(self, input_ids, attention_mask, use_cache):
            seen.append(input_ids.shape[0])
            return type("Out", (), {"logits": teacher_logits[2:]})

    def hand_kl(row):
        per = []
        for t in range(4):
            if labels[row, t] != IGNORE:
                p, q = _log_softmax(teacher_logits[row, t].tolist()), _log_softmax(logits[row, t].tolist())
                per.append(sum(math.exp(a) * (a - b) for a, b in zip(p, q)))
        return sum(per) / len(per)

    settings = UnlearnSettings(retain_term=True, retain_weight=3.0, retain_loss="kl", translated_weight=0.5)
    got = whp_loss(settings, {"model": Teacher()})(logits, batch)
    want = _hand_ce(logits, labels, [0, 1]) + 3.0 * hand_kl(2) + 0.5 * hand_kl(3)
    assert float(got) == pytest.approx(want, rel=1e-5)
    assert seen == [2]  # one teacher pass over the retain and translated rows together
    # with the CE retain term the translated row still gets the KL; the teacher reads that row only
    ce = UnlearnSettings(retain_term=True, retain_weight=3.0, translated_weight=0.5)
    tl = teacher_logits.clone()
    teacher_logits = tl[[0, 1, 3]]  # the Teacher returns teacher_logits[2:]: the translated row's
    got = whp_loss(ce, {"model": Teacher()})(logits, batch)
    teacher_logits = tl
    assert seen == [2, 1]
    assert float(got) == pytest.approx(_hand_ce(logits, labels, [0, 1]) + 3.0 * _hand_ce(logits, labels, [2])
                                       + 0.5 * hand_kl(3), rel=1e-5)
    # without any retain row: the generic labels and the translated term only
    alone = UnlearnSettings(translated_weight=2.0)
    drop = torch.tensor([0, 1, 3])
    sub = {k: v[drop] for k, v in batch.items()}
    teacher_logits = tl[[0, 1, 3]]
    got = whp_loss(alone, {"model": Teacher()})(logits[drop], sub)
    teacher_logits = tl
    assert float(got) == pytest.approx(_hand_ce(logits, labels, [0, 1]) + 2.0 * hand_kl(3), rel=1e-5)


def test_forget_data_pairs_each_target_row_with_its_translation():
    from training.data import TrainData
    from training.unlearn import split_rows

    def rows(n, base):
        ids = torch.arange(n * 3).reshape(n, 3) + base
        return TrainData(ids, torch.ones_like(ids), ids.clone())

    data = ForgetData(rows(4, 0), rows(2, 100), translated=rows(4, 200))
    batch = data.batch(torch.tensor([3, 1]))
    assert batch["input_ids"][:, 0].tolist() == [9, 3, 100, 103, 209, 203]  # targets, retain in turn, translations
    assert batch["forget"].tolist() == [True, True, False, False, False, False]
    assert batch["translated"].tolist() == [False, False, False, False, True, True]
    assert data.n_tokens == 12 + 2 * 6 + 12
    target, rest = split_rows(batch)
    assert target["input_ids"][:, 0].tolist() == [9, 3] and "translated" not in target or not target["translated"].any()
    assert rest["translated"].tolist() == [False, False, True, True]
    # no retain corpus: the translations follow the targets directly
    alone = ForgetData(rows(4, 0), translated=rows(4, 200)).batch(torch.tensor([0]))
    assert alone["input_ids"][:, 0].tolist() == [0, 200] and alone["translated"].tolist() == [False, True]
