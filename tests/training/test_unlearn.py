"""unlearn on hand-made blocks and generic labels: trains toward the labels, ignores unlabelled positions."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from corpus_tools.errors import ObliviateError
from corpus_tools.progress import Reporter
from corpus_tools.store import Store
from training.data import IGNORE, unlearn_data
from training.loop import token_loss
from training.base import base_model
from training.models import load_model, model_folder
from training.unlearn import UnlearnSettings, unlearn

TARGET = "hp"
K = 4


def write_blocks(store: Store, n_blocks: int = 8, length: int = 20, translate=lambda p, tok: tok):
    """Blocks whose translation has the same length; `translate(position, token)` gives its tokens."""
    g = torch.Generator().manual_seed(0)
    rows = []
    for b in range(n_blocks):
        ids = torch.randint(300, 5000, (length - b % 2,), generator=g).tolist()
        rows.append(dict(target=TARGET, blocks_version="bv", block_id=10 + b, doc_id="d", input_ids=ids,
                         translated_ids=[translate(p, t) for p, t in enumerate(ids)], position_map=list(range(len(ids))), forbidden_tokens=[],
                         forbidden_from=[], n_trained=len(ids) - 1))
    with store.create("blocks", TARGET, "bv", parents={}, settings={}, code_version="test") as st:
        st.write("blocks", rows)
    return store.require("blocks", TARGET, "bv"), rows


def write_labels(store: Store, blocks, rows, *, version="lv", label_of=lambda b, p: 777 + p % 3, every=2):
    """Labels at every `every`-th position; top-k = the label first, then three others."""
    out = []
    for r in rows:
        for p in range(0, len(r["input_ids"]) - 1, every):
            label = label_of(r["block_id"], p)
            out.append(dict(target=TARGET, labels_version=version, block_id=r["block_id"], position=p,
                            original_token=r["input_ids"][p + 1], label_token=label, alpha=5.0,
                            topk_ids=[label, 900, 901, 902], topk_g=[3.0, 2.0, 1.0, 0.5], topk_r=[3.0, 4.0, 1.0, 0.5],
                            g_threshold=0.1, exact=True, exact_up_to_alpha=None))
    settings = {"alpha": 5.0, "source": {"blocks": blocks.version}}
    with store.create("labels", TARGET, version, parents={"blocks": blocks.version}, settings=settings, code_version="t") as st:
        st.write("generic_labels", out)
    return store.require("labels", TARGET, version), out


def label_prob(folder, rows, labels) -> float:
    model = load_model(folder)
    by_block = {r["block_id"]: r["input_ids"] for r in rows}
    probs = []
    with torch.no_grad():
        for block_id, ids in by_block.items():
            logp = F.softmax(model(input_ids=torch.tensor([ids])).logits[0], -1)
            probs += [float(logp[l["position"], l["label_token"]]) for l in labels if l["block_id"] == block_id]
    return sum(probs) / len(probs)


def test_unlearn_moves_the_model_toward_the_labels(store, tiny_model_dir):
    blocks, rows = write_blocks(store)
    labels, label_rows = write_labels(store, blocks, rows)
    subject, _ = base_model(store, TARGET, str(tiny_model_dir))
    settings = UnlearnSettings(lr=3e-2, epochs=3, batch_size=4, warmup_ratio=0.0)
    art, created = unlearn(store, TARGET, settings, blocks=blocks, labels=labels, subject=subject)
    assert created and art.stats["epoch_losses"][-1] < art.stats["epoch_losses"][0]
    before = label_prob(model_folder(subject), rows, label_rows)
    after = label_prob(model_folder(art), rows, label_rows)
    assert after > 10 * before, (before, after)  # random init: ~1/vocab before
    assert store.query("select role, method, parent_version from models where version = ?", [art.version]) == \
        [("unlearned", "whp", subject.version)]
    assert unlearn(store, TARGET, settings, blocks=blocks, labels=labels, subject=subject) == (art, False)


def test_label_tensor_puts_labels_at_their_positions_only(store):
    blocks, rows = write_blocks(store)
    labels, label_rows = write_labels(store, blocks, rows)
    data = unlearn_data(store, blocks, labels, pad_id=0)
    expected = torch.full_like(data.labels, IGNORE)
    row_of = {r["block_id"]: i for i, r in enumerate(rows)}
    for l in label_rows:
        expected[row_of[l["block_id"]], l["position"]] = l["label_token"]
    assert torch.equal(data.labels, expected)
    assert data.attention_mask[1].sum() == len(rows[1]["input_ids"]) == data.input_ids.shape[1] - 1


def test_ignored_positions_do_not_change_the_loss(store):
    blocks, rows = write_blocks(store)
    labels, _ = write_labels(store, blocks, rows)
    data = unlearn_data(store, blocks, labels, pad_id=0)
    batch = data.batch(torch.arange(4))
    logits = torch.randn(*batch["labels"].shape, 6000, requires_grad=True)
    loss = token_loss(logits, batch)
    labelled = batch["labels"] != IGNORE
    reference = F.cross_entropy(logits.reshape(-1, 6000), batch["labels"].reshape(-1), ignore_index=IGNORE)
    assert torch.allclose(loss, reference)
    loss.backward()
    assert float(logits.grad[~labelled].abs().max()) == 0.0 and float(logits.grad[labelled].abs().max()) > 0
    # changing the input/original token of an ignored position, or its logits, changes nothing
    shaken = logits.detach().clone()
    shaken[~labelled] += torch.randn_like(shaken[~labelled]) * 10
    assert torch.equal(token_loss(shaken, batch), loss.detach())
    moved = {**batch, "labels": batch["labels"].clone()}
    first = labelled.nonzero()[0]
    moved["labels"][first[0], first[1]] += 1
    assert not torch.allclose(token_loss(logits.detach(), moved), loss.detach())


def test_soft_labels_are_the_adjusted_topk_distribution(store, tiny_model_dir):
    blocks, rows = write_blocks(store)
    labels, label_rows = write_labels(store, blocks, rows)
    data = unlearn_data(store, blocks, labels, pad_id=0, soft=True)
    g, r = torch.tensor([3.0, 2.0, 1.0, 0.5]), torch.tensor([3.0, 4.0, 1.0, 0.5])
    p = torch.softmax(g - 5.0 * torch.relu(r - g), -1)
    batch = data.batch(torch.tensor([3, 0]))
    assert batch["soft_ids"].shape == (int((batch["labels"] != IGNORE).sum()), K)
    assert torch.allclose(batch["soft_p"], p.expand_as(batch["soft_p"]))
    assert torch.equal(batch["soft_ids"][:, 0], batch["labels"][batch["labels"] != IGNORE])
    # the KL loss is zero exactly when the model's distribution is the target's
    logits = torch.full((*batch["labels"].shape, 6000), -1e4)
    ids = batch["soft_ids"]
    logits[batch["labels"] != IGNORE] = logits[batch["labels"] != IGNORE].scatter(1, ids, p.log().expand(len(ids), K))
    assert float(token_loss(logits, batch)) == pytest.approx(0.0, abs=1e-5)
    subject, _ = base_model(store, TARGET, str(tiny_model_dir))
    art, _ = unlearn(store, TARGET, UnlearnSettings(lr=3e-2, epochs=2, warmup_ratio=0.0, soft_labels=True),
                     blocks=blocks, labels=labels, subject=subject)
    assert label_prob(model_folder(art), rows, label_rows) > 5 * label_prob(model_folder(subject), rows, label_rows)


def test_labels_of_other_blocks_are_refused(store, tiny_model_dir):
    blocks, rows = write_blocks(store)
    labels, _ = write_labels(store, blocks, rows, label_of=lambda b, p: 777)
    other = dict(rows[0], block_id=99)
    bad, _ = write_labels(store, blocks, rows + [other], version="lv2")
    with pytest.raises(ObliviateError, match="block 99"):
        unlearn_data(store, blocks, bad, pad_id=0)
    subject, _ = base_model(store, TARGET, str(tiny_model_dir))
    with pytest.raises(ObliviateError, match="labels artifact"):
        unlearn(store, TARGET, UnlearnSettings(), blocks=blocks, labels=blocks, subject=subject)


def test_unlearn_with_a_retain_term_trains_on_both(store, tiny_model_dir, tmp_path):
    (tmp_path / "retain").mkdir()
    (tmp_path / "retain" / "a.md").write_text("Glaciers move slowly down the valley and carve it wider. " * 10)
    blocks, rows = write_blocks(store)
    labels, label_rows = write_labels(store, blocks, rows)
    subject, _ = base_model(store, TARGET, str(tiny_model_dir))
    settings = UnlearnSettings(lr=3e-2, epochs=3, batch_size=4, warmup_ratio=0.0, retain_term=True,
                               retain_corpus=str(tmp_path / "retain"))
    art, created = unlearn(store, TARGET, settings, blocks=blocks, labels=labels, subject=subject)
    plain, _ = unlearn(store, TARGET, settings.model_copy(update={"retain_term": False}), blocks=blocks,
                       labels=labels, subject=subject)
    assert created and art.version != plain.version
    assert label_prob(model_folder(art), rows, label_rows) > 10 * label_prob(model_folder(subject), rows, label_rows)
    # the retain rows went through the model: more tokens per step than the labels alone
    assert art.stats["train_tokens"] > plain.stats["train_tokens"]
    # label_weight 0, the control: the same batches and steps, and the labels are not learned
    control, created = unlearn(store, TARGET, settings.model_copy(update={"label_weight": 0.0}), blocks=blocks,
                               labels=labels, subject=subject)
    assert created and control.version not in (art.version, plain.version)
    assert control.stats["train_tokens"] == art.stats["train_tokens"]
    assert label_prob(model_folder(control), rows, label_rows) < 2 * label_prob(model_folder(subject), rows, label_rows)


# Hand-worked: what each token id spells, as a tokenizer would decode it alone.
SPELL = {0: "<pad>", 10: "The", 11: " boy", 12: " castle", 13: " to", 14: " Her", 15: "mione", 16: ",", 17: " her",
         18: " said", 19: " Gryff"}


def test_content_positions_keep_only_predictions_of_content_tokens():
    from training.data import content_positions

    ids = torch.tensor([[10, 11, 12, 13, 14, 15, 16, 17],   # The boy castle to Her|mione , her
                        [10, 17, 13, 16, 18, 19, 0, 0]])    # The her to , said Gryff <pad> <pad>
    lengths = torch.tensor([8, 6])
    keep = content_positions(ids, lengths, SPELL.__getitem__)
    # position i is kept when token i+1 is content: " boy", " castle", " Her" (it starts "Hermione"),
    # "mione"; never " to", ",", " her" alone, " said" (a top-150 word), nor the last real position
    assert keep[0].tolist() == [True, True, False, True, True, False, False, False]
    # " Gryff" at the block's last real token: predicted from position 4, which is kept
    assert keep[1].tolist() == [False, False, False, False, True, False, False, False]


def test_capitalised_content_positions_are_the_name_slots():
    from training.data import content_positions

    spell = SPELL | {20: " Frodo", 21: " Bag", 22: "gins", 23: " The", 24: " Camel", 25: "ot", 26: " I"}
    ids = torch.tensor([[10, 11, 20, 21, 22, 16, 23, 12],    # The boy Frodo Bag|gins , The castle
                        [13, 24, 25, 13, 14, 15, 17, 26]])   # to Camel|ot to Her|mione her I
    lengths = torch.tensor([8, 8])
    slots = content_positions(ids, lengths, spell.__getitem__, capitalised=True)
    # kept: before " Frodo", " Bag" (the first piece of a capitalised word), " Camel", " Her" (it starts
    # "Hermione"); not before "gins" or "ot" (a word's later pieces), " The" or " I" (capitalised but generic
    # words), " boy" or " castle" (content, not capitalised)
    assert slots[0].tolist() == [False, True, True, False, False, False, False, False]
    assert slots[1].tolist() == [True, False, False, True, False, False, False, False]
    assert bool((slots <= content_positions(ids, lengths, spell.__getitem__)).all())  # a subset of the content


def test_retain_slot_weight_needs_the_kl_retain_term_and_enters_the_version():
    from pydantic import ValidationError

    from training.unlearn import version_key

    for bad in (dict(), dict(retain_term=True), dict(retain_loss="kl")):
        with pytest.raises(ValidationError, match="retain_slot_weight weighs the KL retain term"):
            UnlearnSettings(retain_slot_weight=2.0, **bad)
    kl = dict(retain_term=True, retain_loss="kl")
    assert "retain_slot_weight" not in version_key(UnlearnSettings(**kl))
    assert version_key(UnlearnSettings(retain_slot_weight=2.0, **kl))["retain_slot_weight"] == 2.0


def test_content_positions_drop_the_other_labels_and_their_soft_targets(store):
    blocks, rows = write_blocks(store)
    labels, _ = write_labels(store, blocks, rows)
    spelled = lambda tid: " the" if tid % 2 else f" zq{tid}"  # noqa: E731  odd ids: a function word
    full = unlearn_data(store, blocks, labels, pad_id=0, soft=True)
    kept = unlearn_data(store, blocks, labels, pad_id=0, soft=True, decode=spelled)
    nxt = torch.zeros_like(full.input_ids)
    nxt[:, :-1] = full.input_ids[:, 1:]
    content = (nxt % 2 == 0) & (nxt != 0)
    assert torch.equal(kept.labels, torch.where(content, full.labels, torch.full_like(full.labels, IGNORE)))
    assert bool((kept.labels != IGNORE).any()) and bool(((full.labels != IGNORE) & ~content).any())
    assert torch.equal(kept.soft_index >= 0, kept.labels != IGNORE)
    batch = kept.batch(torch.arange(4))
    assert batch["soft_ids"].shape[0] == int((batch["labels"] != IGNORE).sum())


def test_content_positions_change_the_version_and_the_default_does_not(store):
    from training.unlearn import version_key

    assert "positions" not in version_key(UnlearnSettings())
    assert version_key(UnlearnSettings(positions="content"))["positions"] == "content"


def test_unlearn_on_content_positions_trains_fewer_positions(store, tiny_model_dir):
    blocks, rows = write_blocks(store)
    labels, _ = write_labels(store, blocks, rows)
    subject, _ = base_model(store, TARGET, str(tiny_model_dir))
    common = dict(lr=3e-2, epochs=1, batch_size=4, warmup_ratio=0.0)
    every, _ = unlearn(store, TARGET, UnlearnSettings(**common), blocks=blocks, labels=labels, subject=subject)
    content, created = unlearn(store, TARGET, UnlearnSettings(positions="content", **common), blocks=blocks,
                               labels=labels, subject=subject)
    assert created and content.version != every.version
    assert 0 < content.stats["trained_positions"] < every.stats["trained_positions"], (content.stats, every.stats)


def test_anchor_positions_keep_only_predictions_the_translation_changed():
    from training.data import anchor_positions

    # "Harry went to Hog|warts ." translated "Jon went to Coll ." : the map sends each original position
    # to the translated one whose logits label it; inside "Hogwarts" after its first token there is no loss
    ids = torch.tensor([[1, 2, 3, 4, 5, 6], [1, 2, 3, 0, 0, 0]])
    translated = torch.tensor([[7, 2, 3, 8, 6], [7, 2, 0, 0, 0]])
    position_map = torch.tensor([[0, 1, 2, -1, 3, 4], [0, 1, 2, -1, -1, -1]])
    keep = anchor_positions(ids, torch.tensor([6, 3]), translated, torch.tensor([5, 2]), position_map)
    # " to" -> " Hog" (translation: " Coll") is the only changed prediction; " went", " to", "." go on alike;
    # "Hog" -> "warts" has no label, and the block's last token predicts nothing
    assert keep[0].tolist() == [False, False, True, False, False, False]
    # the translated block ends after " went": what it would say next is unknown, so position 1 counts as changed
    assert keep[1].tolist() == [False, True, False, False, False, False]


def test_anchor_positions_drop_the_other_labels(store, tiny_model_dir):
    blocks, rows = write_blocks(store, translate=lambda p, tok: tok + 1 if p % 5 == 0 else tok)
    labels, _ = write_labels(store, blocks, rows)
    full = unlearn_data(store, blocks, labels, pad_id=0)
    kept = unlearn_data(store, blocks, labels, pad_id=0, anchors_only=True)
    changed = torch.zeros_like(full.labels, dtype=torch.bool)
    changed[:, 4::5] = True  # position p predicts token p+1, changed at every 5th token
    assert torch.equal(kept.labels, torch.where(changed, full.labels, torch.full_like(full.labels, IGNORE)))
    assert bool((kept.labels != IGNORE).any())
    subject, _ = base_model(store, TARGET, str(tiny_model_dir))
    common = dict(lr=3e-2, epochs=1, batch_size=4, warmup_ratio=0.0)
    art, created = unlearn(store, TARGET, UnlearnSettings(positions="anchors", **common), blocks=blocks,
                           labels=labels, subject=subject)
    assert created and art.stats["trained_positions"] == int((kept.labels != IGNORE).sum())


def test_anchored_next_tokens_are_the_original_tokens_the_translation_changed(store):
    from training.data import anchored_next_tokens

    blocks, rows = write_blocks(store, translate=lambda p, tok: tok + 1 if p % 5 == 0 else tok)
    data = anchored_next_tokens(store, blocks, pad_id=0)
    for r, ids, targets in zip(rows, data.input_ids, data.labels):
        n = len(r["input_ids"])
        want = [r["input_ids"][p + 1] if (p + 1) % 5 == 0 and p + 1 < n else IGNORE for p in range(ids.shape[0])]
        assert targets.tolist() == want
        assert ids[:n].tolist() == r["input_ids"]


def test_forget_term_changes_the_version_and_lowers_the_anchored_tokens(store, tiny_model_dir):
    from training.data import anchored_next_tokens
    from training.unlearn import version_key

    assert "forget_weight" not in version_key(UnlearnSettings())
    assert version_key(UnlearnSettings(forget_weight=0.5))["forget_beta"] == 1.0
    blocks, rows = write_blocks(store, translate=lambda p, tok: tok + 1 if p % 5 == 0 else tok)
    labels, _ = write_labels(store, blocks, rows)
    subject, _ = base_model(store, TARGET, str(tiny_model_dir))
    common = dict(lr=1e-2, epochs=2, batch_size=4, warmup_ratio=0.0)
    plain, _ = unlearn(store, TARGET, UnlearnSettings(**common), blocks=blocks, labels=labels, subject=subject)
    forget, created = unlearn(store, TARGET, UnlearnSettings(forget_weight=5.0, forget_beta=0.2, **common), blocks=blocks,
                              labels=labels, subject=subject)
    assert created and forget.version != plain.version
    anchored = anchored_next_tokens(store, blocks, pad_id=0)

    def anchored_logp(art) -> float:
        with torch.no_grad():
            logits = load_model(model_folder(art))(input_ids=anchored.input_ids,
                                                    attention_mask=anchored.attention_mask).logits
        mask = anchored.labels != IGNORE
        return float(-F.cross_entropy(logits[mask], anchored.labels[mask]))

    # the anchored original tokens end up less likely with the forget term than with the labels alone
    assert anchored_logp(forget) < anchored_logp(plain) - 0.5, (anchored_logp(forget), anchored_logp(plain))


def test_kl_retain_term_keeps_the_subjects_predictions_on_the_retain_text(store, tiny_model_dir, tmp_path):
    from training.retain import retain_data
    from training.models import load_tokenizer
    from training.unlearn import kl_to_teacher, version_key

    (tmp_path / "retain").mkdir()
    (tmp_path / "retain" / "a.md").write_text("Glaciers move slowly down the valley and carve it wider. " * 10)
    assert "retain_loss" not in version_key(UnlearnSettings(retain_term=True))
    assert version_key(UnlearnSettings(retain_term=True, retain_loss="kl"))["retain_loss"] == "kl"
    assert "retain_ce_weight" not in version_key(UnlearnSettings(retain_term=True, retain_loss="kl"))
    assert version_key(UnlearnSettings(retain_term=True, retain_loss="kl", retain_ce_weight=1.0))["retain_ce_weight"] == 1.0
    blocks, rows = write_blocks(store)
    labels, _ = write_labels(store, blocks, rows)
    subject, _ = base_model(store, TARGET, str(tiny_model_dir))
    common = dict(lr=3e-3, epochs=2, batch_size=4, warmup_ratio=0.0, retain_term=True,
                  retain_corpus=str(tmp_path / "retain"))
    ce, _ = unlearn(store, TARGET, UnlearnSettings(**common), blocks=blocks, labels=labels, subject=subject)
    kl, created = unlearn(store, TARGET, UnlearnSettings(retain_loss="kl", **common), blocks=blocks, labels=labels,
                          subject=subject)
    assert created and kl.version != ce.version
    text = retain_data(tmp_path / "retain", load_tokenizer(tiny_model_dir), width=16)

    def drift(art) -> float:  # KL from the subject's predictions on the retain text
        with torch.no_grad():
            ref = load_model(model_folder(subject))(input_ids=text.input_ids).logits
            got = load_model(model_folder(art))(input_ids=text.input_ids).logits
        return float(kl_to_teacher(got, ref, text.labels))

    # cross-entropy fits the (repetitive) retain text; the KL term stays near the subject's own predictions
    # (measured 0.0004 vs 0.0032)
    assert drift(kl) < 0.5 * drift(ce), (drift(kl), drift(ce))



def test_retain_slot_weight_reaches_training(store, tiny_model_dir, tmp_path):
    """The name slots of the retain text are found and weigh in the steps (the weighting itself is checked by
    hand in test_reference_methods.py)."""
    from training.data import content_positions
    from training.models import load_tokenizer
    from training.retain import retain_data

    (tmp_path / "retain").mkdir()
    (tmp_path / "retain" / "a.md").write_text("Then Aldo met Bruna by the river, and Cosimo sang to Dafne. " * 10)
    blocks, rows = write_blocks(store)
    labels, _ = write_labels(store, blocks, rows)
    subject, _ = base_model(store, TARGET, str(tiny_model_dir))
    common = dict(lr=3e-3, epochs=1, batch_size=4, warmup_ratio=0.0, retain_term=True, retain_loss="kl",
                  retain_corpus=str(tmp_path / "retain"))
    logged = []

    class Recorder(Reporter):
        def log(self, message: str) -> None:
            logged.append(message)

    flat, _ = unlearn(store, TARGET, UnlearnSettings(**common), blocks=blocks, labels=labels, subject=subject)
    slot, created = unlearn(store, TARGET, UnlearnSettings(retain_slot_weight=20.0, **common), blocks=blocks,
                            labels=labels, subject=subject, progress=Recorder())
    assert created and slot.version != flat.version
    tok = load_tokenizer(tiny_model_dir)
    text = retain_data(tmp_path / "retain", tok, width=blocks.stats.get("block_size", 16))
    names = content_positions(text.input_ids, text.attention_mask.sum(1), lambda t: tok.decode([t]), capitalised=True)
    assert 0 < int(names.sum()) < int((text.labels != IGNORE).sum())
    assert any("retain positions precede a name" in line for line in logged), logged
    a, b = load_model(model_folder(slot)).state_dict(), load_model(model_folder(flat)).state_dict()
    assert max(float((a[k] - b[k]).abs().max()) for k in a) > 1e-5  # the weighted KL changed the steps


def _subject_p_at_anchors(folder, rows) -> dict[tuple[int, int], float]:
    """By hand: the subject's probability of the original next token at each labelled position (every 2nd,
    write_labels) whose next token the translation changed (every 5th token)."""
    model = load_model(folder)
    out = {}
    with torch.no_grad():
        for r in rows:
            ids = r["input_ids"]
            p = F.softmax(model(input_ids=torch.tensor([ids])).logits[0].float(), -1)
            for pos in range(0, len(ids) - 1, 2):
                if (pos + 1) % 5 == 0:
                    out[(r["block_id"], pos)] = float(p[pos, ids[pos + 1]])
    return out


def test_known_positions_keep_the_anchor_positions_the_subject_predicts(store, tiny_model_dir):
    from training.data import anchored_next_tokens
    from training.npo import reference_logp
    from training.unlearn import _known_only

    blocks, rows = write_blocks(store, translate=lambda p, tok: tok + 1 if p % 5 == 0 else tok)
    labels, _ = write_labels(store, blocks, rows)
    subject, _ = base_model(store, TARGET, str(tiny_model_dir))
    hand = _subject_p_at_anchors(model_folder(subject), rows)
    assert len(hand) >= 8
    known_p = sorted(hand.values())[len(hand) // 2]  # about half the anchor positions pass
    want = {k for k, v in hand.items() if v >= known_p}
    assert 0 < len(want) < len(hand)
    settings = UnlearnSettings(positions="known", known_p=known_p, batch_size=4)
    anchored = anchored_next_tokens(store, blocks, pad_id=0)
    logp = reference_logp(load_model(model_folder(subject)), anchored, 4, per_token=True)
    data = _known_only(unlearn_data(store, blocks, labels, pad_id=0, anchors_only=True), anchored, logp, settings)
    by_ids = {tuple(r["input_ids"]): r["block_id"] for r in rows}
    got = set()
    for ids, mask, targets in zip(data.input_ids, data.attention_mask, data.labels):
        block = by_ids[tuple(ids[mask.bool()].tolist())]
        got |= {(block, int(p)) for p in (targets != IGNORE).nonzero().flatten()}
    assert got == want
    art, created = unlearn(store, TARGET, settings.model_copy(update={"lr": 3e-2, "epochs": 1, "warmup_ratio": 0.0}),
                           blocks=blocks, labels=labels, subject=subject)
    assert created and art.stats["trained_positions"] == len(want)
    with pytest.raises(ObliviateError, match="lower \\[unlearn\\] known_p"):
        unlearn(store, TARGET, settings.model_copy(update={"known_p": 1.0}), blocks=blocks, labels=labels, subject=subject)


def test_known_p_enters_the_version_only_with_known_positions():
    from training.unlearn import version_key

    anchors = version_key(UnlearnSettings(positions="anchors"))
    assert "known_p" not in anchors and anchors == version_key(UnlearnSettings(positions="anchors", known_p=0.3))
    assert version_key(UnlearnSettings(positions="known")) != version_key(UnlearnSettings(positions="known", known_p=0.3))


def test_restrict_drops_labels_and_soft_targets_outside_the_mask():
    from training.data import TrainData, restrict

    ids = torch.tensor([[5, 6, 7, 8]])
    data = TrainData(ids, torch.ones_like(ids), torch.tensor([[6, 7, 8, IGNORE]]), soft_index=torch.tensor([[0, 1, 2, -1]]),
                     soft_ids=torch.tensor([[6, 1], [7, 1], [8, 1]]), soft_p=torch.tensor([[0.9, 0.1]] * 3))
    out = restrict(data, torch.tensor([[True, False, True, True]]))
    assert out.labels.tolist() == [[6, IGNORE, 8, IGNORE]] and out.soft_index.tolist() == [[0, -1, 2, -1]]
    assert torch.equal(out.soft_p, data.soft_p) and torch.equal(out.input_ids, ids)


def test_translated_data_is_each_target_blocks_translation_cut_to_the_width(store):
    from training.data import translated_data

    blocks, rows = write_blocks(store, translate=lambda p, tok: tok + 7)
    data = translated_data(store, blocks, pad_id=0, width=12)
    assert data.input_ids.shape == (len(rows), 12)
    for r, ids, mask, labels in zip(rows, data.input_ids, data.attention_mask, data.labels):
        want = r["translated_ids"][:12]
        assert ids.tolist() == want and mask.tolist() == [1] * 12
        assert labels.tolist() == want[1:] + [IGNORE]  # the last kept token predicts nothing
    wide = translated_data(store, blocks, pad_id=0, width=24)
    for r, ids, mask in zip(rows, wide.input_ids, wide.attention_mask):
        n = len(r["translated_ids"])
        assert ids[:n].tolist() == r["translated_ids"] and int(mask.sum()) == n and bool((ids[n:] == 0).all())


def test_translated_weight_enters_the_version_and_keeps_the_subject_on_the_translation(store, tiny_model_dir):
    from pydantic import ValidationError

    from training.data import translated_data
    from training.unlearn import kl_to_teacher, version_key

    assert "translated_weight" not in version_key(UnlearnSettings())
    assert version_key(UnlearnSettings(translated_weight=2.0))["translated_weight"] == 2.0
    with pytest.raises(ValidationError, match="retain_slot_weight and translated_weight"):
        UnlearnSettings(retain_term=True, retain_loss="kl", retain_slot_weight=1.0, translated_weight=1.0)
    # the translation is other tokens throughout (other names in the same story): what the labels teach on the
    # original moves the model's predictions there too unless the term holds them
    blocks, rows = write_blocks(store, translate=lambda p, tok: tok + 5000)
    labels, _ = write_labels(store, blocks, rows)
    subject, _ = base_model(store, TARGET, str(tiny_model_dir))
    common = dict(lr=1e-2, epochs=3, batch_size=4, warmup_ratio=0.0)
    plain, _ = unlearn(store, TARGET, UnlearnSettings(**common), blocks=blocks, labels=labels, subject=subject)
    kept, created = unlearn(store, TARGET, UnlearnSettings(translated_weight=20.0, **common), blocks=blocks,
                            labels=labels, subject=subject)
    assert created and kept.version != plain.version
    text = translated_data(store, blocks, pad_id=0, width=20)

    def drift(art) -> float:  # KL from the subject's predictions on the translations
        with torch.no_grad():
            ref = load_model(model_folder(subject))(input_ids=text.input_ids, attention_mask=text.attention_mask).logits
            got = load_model(model_folder(art))(input_ids=text.input_ids, attention_mask=text.attention_mask).logits
        return float(kl_to_teacher(got, ref, text.labels))

    assert drift(kept) < 0.5 * drift(plain), (drift(kept), drift(plain))


def test_retain_teacher_reinforced_holds_the_reinforced_models_predictions(store, tiny_model_dir, forced_model_dir,
                                                                           tmp_path):
    """With retain_teacher "reinforced" the KL retain term holds the reinforced model's predictions on the retain text
    instead of the subject's: here the reinforced model is the forced one (" Ron" after " and"), the subject the
    random tiny model, and the retain text says " and" often."""
    from pydantic import ValidationError

    from training.models import load_tokenizer
    from training.retain import retain_data
    from training.unlearn import kl_to_teacher, version_key

    for bad in (dict(), dict(retain_term=True), dict(retain_term=True, retain_loss="kl", translated_weight=1.0),
                dict(retain_term=True, retain_loss="kl", repair_steps=2)):
        with pytest.raises(ValidationError, match="retain_teacher"):
            UnlearnSettings(retain_teacher="reinforced", **bad)
    kl = dict(retain_term=True, retain_loss="kl")
    assert "retain_teacher" not in version_key(UnlearnSettings(**kl))
    assert version_key(UnlearnSettings(retain_teacher="reinforced", **kl))["retain_teacher"] == "reinforced"
    (tmp_path / "retain").mkdir()
    (tmp_path / "retain" / "a.md").write_text("Glaciers move slowly and carve the valley wider and deeper. " * 10)
    blocks, rows = write_blocks(store)
    labels, _ = write_labels(store, blocks, rows)
    subject, _ = base_model(store, TARGET, str(tiny_model_dir))
    reinforced, _ = base_model(store, "forced", str(forced_model_dir))
    common = dict(lr=1e-2, epochs=6, batch_size=4, warmup_ratio=0.0, retain_weight=8.0,
                  retain_corpus=str(tmp_path / "retain"), **kl)
    held = dict(blocks=blocks, labels=labels, subject=subject, reinforced=reinforced)
    by_subject, _ = unlearn(store, TARGET, UnlearnSettings(**common), **held)
    by_reinforced, created = unlearn(store, TARGET, UnlearnSettings(retain_teacher="reinforced", **common), **held)
    assert created and by_reinforced.version != by_subject.version
    assert by_reinforced.parents["reinforced"] == reinforced.version and "reinforced" not in by_subject.parents
    tok = load_tokenizer(tiny_model_dir)
    text = retain_data(tmp_path / "retain", tok, width=16)
    after_and = text.input_ids == tok(" and", add_special_tokens=False)["input_ids"][0]
    ron = tok(" Ron", add_special_tokens=False)["input_ids"][0]

    def p_ron(art) -> float:  # the mean probability of " Ron" after " and" in the retain text
        with torch.no_grad():
            logits = load_model(model_folder(art))(input_ids=text.input_ids).logits
        return float(logits.softmax(-1)[..., ron][after_and].mean())

    # the reinforced model says " Ron" there far more than the subject; held to it, the unlearned model moves that way
    # (measured 1.3e-4 against 1.9e-5 held to the subject)
    assert p_ron(reinforced) > 100 * p_ron(subject), (p_ron(reinforced), p_ron(subject))
    assert p_ron(by_reinforced) > 3 * p_ron(by_subject), (p_ron(by_reinforced), p_ron(by_subject))
    with pytest.raises(ObliviateError, match="needs the reinforced model"):
        unlearn(store, TARGET, UnlearnSettings(retain_teacher="reinforced", lr=1e-3, **kl), blocks=blocks, labels=labels,
                subject=subject)


def _state(art) -> dict[str, torch.Tensor]:
    return load_model(model_folder(art)).state_dict()


def test_update_scale_keeps_that_share_of_the_update_and_scales_a_stored_model(store, tiny_model_dir):
    """update_scale s: the weights are subject + s x (trained - subject); with the model at 1 stored, it is scaled
    instead of trained again, to the same weights as training would give."""
    blocks, rows = write_blocks(store)
    labels, _ = write_labels(store, blocks, rows)
    subject, _ = base_model(store, TARGET, str(tiny_model_dir))
    settings = UnlearnSettings(lr=3e-2, epochs=1, batch_size=4, warmup_ratio=0.0)
    run = lambda s: unlearn(store, TARGET, settings.model_copy(update={"update_scale": s}), blocks=blocks,  # noqa: E731
                            labels=labels, subject=subject)
    half, created = run(0.5)  # nothing stored at 1: trained, then scaled
    assert created and half.stats["update_scale"] == 0.5 and "trained_by" not in half.stats and half.stats["steps"] > 0
    full, _ = run(1.0)
    quarter, created = run(0.25)  # the model at 1 is stored now: scaled, not trained
    assert created and quarter.stats["trained_by"] == full.version and quarter.stats["steps"] == full.stats["steps"]
    assert len({half.version, full.version, quarter.version}) == 3
    s, f = _state(subject), _state(full)
    assert any(not torch.equal(f[k], s[k]) for k in s)  # it trained
    for scale, art in ((0.5, half), (0.25, quarter)):
        got = _state(art)
        for k in s:
            torch.testing.assert_close(got[k], s[k] + scale * (f[k] - s[k]), rtol=0, atol=1e-6)


def test_update_scale_enters_the_version_below_one_and_is_checked():
    from training.unlearn import version_key

    assert "update_scale" not in version_key(UnlearnSettings())  # models made before the option keep their versions
    assert version_key(UnlearnSettings(update_scale=0.8))["update_scale"] == 0.8
    for bad in (0.0, -0.5, 1.5):
        with pytest.raises(ValueError, match="update_scale"):
            UnlearnSettings(update_scale=bad)
    with pytest.raises(ValueError, match="method ensemble trains nothing"):
        UnlearnSettings(method="ensemble", update_scale=0.5)
