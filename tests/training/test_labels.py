"""labels stage against a slow, plain reference of the authors' procedure, on hand-made blocks."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from corpus_tools.store import Store
from training.labels import LabelSettings, compute_labels, relabel

TARGET = "hp"
ALPHAS = [0.0, 2.5, 5.0, 10.0]


# -- fixtures shared with test_labels_*.py ----------------------------------------------------

def synth_blocks(n_blocks: int, seed: int = 0, n_tok: int = 20) -> list[dict]:
    """Blocks with anchors (several tokens -> a different number), repeats (-1 before them) and forbidden tokens."""
    rng = np.random.default_rng(seed)
    anchors = [(rng.integers(300, 40000, size=rng.integers(1, 4)).tolist(),
                rng.integers(300, 40000, size=rng.integers(1, 4)).tolist()) for _ in range(3)]
    blocks = []
    for block_id in range(n_blocks):
        orig, trans, pmap, forb, forb_from, seen = [], [], [], [], [], set()
        length = n_tok + int(rng.integers(0, 6))  # ragged: exercises padding
        while len(orig) < length:
            if rng.random() < 0.3:
                a = int(rng.integers(len(anchors)))
                o_toks, t_toks = anchors[a]
                if a in seen and pmap:
                    pmap[-1] = -1  # never taught to predict a repeated anchor
                orig += o_toks
                pmap += [-1] * len(o_toks)
                trans += t_toks
                pmap[-1] = len(trans) - 1  # the anchor's last token predicts what follows it
                if a not in seen:
                    seen.add(a)
                    forb += [t_toks[0], t_toks[0] + 1]
                    forb_from += [len(orig) - 1] * 2
            else:
                tok = int(rng.integers(300, 40000))
                orig.append(tok)
                trans.append(tok)
                pmap.append(len(trans) - 1)
        blocks.append(dict(block_id=block_id, doc_id=f"d{block_id // 3}", input_ids=orig, translated_ids=trans,
                           position_map=pmap, forbidden_tokens=forb, forbidden_from=forb_from))
    return blocks


def add_popular_forbidden(blocks: list[dict], subject_dir) -> list[dict]:
    """Forbid the subject's favourite tokens from mid-block on, so the forbidden rule changes labels."""
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(subject_dir, dtype=torch.float32).eval()
    with torch.no_grad():
        for b in blocks:
            top = model(torch.tensor([b["translated_ids"]])).logits[0].argmax(-1).tolist()
            mid = len(b["input_ids"]) // 2
            b["forbidden_tokens"] = b["forbidden_tokens"] + top[-2:]
            b["forbidden_from"] = b["forbidden_from"] + [mid, mid + 1]
    return blocks


def make_workspace(store: Store, blocks: list[dict], subject_dir, reinforced_dir, target: str = TARGET):
    """blocks, implant and reinforce artifacts made by hand."""
    rows = [dict(b, target=target, blocks_version="b1", start_char=0, end_char=0, t_start_char=0, t_end_char=0,
                 n_trained=sum(p >= 0 for p in b["position_map"])) for b in blocks]
    with store.create("blocks", target, "b1", parents={}, settings={}, code_version="test") as st:
        st.write("blocks", rows[: len(rows) // 2], index=0)
        st.write("blocks", rows[len(rows) // 2:], index=1)
    arts = [store.get("blocks", target, "b1")]
    for kind, folder in (("implant", subject_dir), ("reinforce", reinforced_dir)):
        with store.create(kind, target, f"{kind}1", parents={"blocks": "b1"}, settings={}, code_version="test") as st:
            shutil.copytree(folder, st.dir / "model")
        arts.append(store.get(kind, target, f"{kind}1"))
    return arts


@pytest.fixture(scope="session")
def reinforced_dir(tiny_model_dir, tmp_path_factory):
    """The tiny model's architecture with another seed: a stand-in for the reinforced model."""
    from transformers import AutoConfig, AutoModelForCausalLM

    torch.manual_seed(1)
    out = tmp_path_factory.mktemp("tiny_reinforced")
    AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(tiny_model_dir)).save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def blocks(tiny_model_dir) -> list[dict]:
    return add_popular_forbidden(synth_blocks(7), tiny_model_dir)


def reference_labels(blocks, subject_dir, reinforced_dir, alpha: float) -> dict:
    """The authors' procedure written plainly: full logits, loops over blocks, positions and forbidden tokens."""
    from transformers import AutoModelForCausalLM

    subject = AutoModelForCausalLM.from_pretrained(subject_dir, dtype=torch.float32).eval()
    reinforced = AutoModelForCausalLM.from_pretrained(reinforced_dir, dtype=torch.float32).eval()
    out = {}
    with torch.no_grad():
        for b in blocks:
            g_all = subject(torch.tensor([b["translated_ids"]])).logits[0]
            r_all = reinforced(torch.tensor([b["input_ids"]])).logits[0]
            for i in range(len(b["input_ids"]) - 1):
                j = b["position_map"][i]
                if j < 0:
                    continue
                g = g_all[j].clone()
                mean = g.mean()
                for token, start in zip(b["forbidden_tokens"], b["forbidden_from"]):
                    if start <= i:
                        g[token] = mean
                r = r_all[i]
                v = g - alpha * torch.relu(r - g)
                out[(b["block_id"], i)] = dict(label=int(v.argmax()), g=g, r=r, original=b["input_ids"][i + 1],
                                               raw_top=int(g_all[j].argmax()))
    return out


def stored_rows(store: Store, art) -> dict:
    table = store.read("generic_labels", art).to_pylist()
    return {(r["block_id"], r["position"]): r for r in table}


# -- tests ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def computed(blocks, tiny_model_dir, reinforced_dir, tmp_path_factory):
    """Labels at every alpha computed with the models (no relabelling), in one workspace."""
    store = Store(tmp_path_factory.mktemp("labels_ws"))
    arts = make_workspace(store, blocks, tiny_model_dir, reinforced_dir)
    out = {}
    for alpha in ALPHAS:
        settings = LabelSettings(alpha=alpha, top_k=8, batch_size=3, blocks_per_part=3, reuse=False)
        art, created = compute_labels(store, TARGET, settings, blocks=arts[0], subject=arts[1], reinforced=arts[2])
        assert created
        out[alpha] = art
    return store, arts, out


@pytest.mark.parametrize("alpha", ALPHAS)
def test_labels_equal_plain_reference(computed, blocks, tiny_model_dir, reinforced_dir, alpha):
    store, _, arts = computed
    ref = reference_labels(blocks, tiny_model_dir, reinforced_dir, alpha)
    rows = stored_rows(store, arts[alpha])
    assert rows.keys() == ref.keys()
    assert [rows[k]["label_token"] for k in ref] == [ref[k]["label"] for k in ref]
    assert [rows[k]["original_token"] for k in ref] == [ref[k]["original"] for k in ref]
    for key, want in ref.items():
        row = rows[key]
        top = want["g"].sort(descending=True).values
        np.testing.assert_allclose(row["topk_g"], top[:8].numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(row["topk_g"], want["g"][row["topk_ids"]].numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(row["topk_r"], want["r"][row["topk_ids"]].numpy(), rtol=1e-4, atol=1e-5)
        assert row["g_threshold"] == pytest.approx(float(top[8]), rel=1e-4, abs=1e-5)
        assert row["alpha"] == alpha
    stats = arts[alpha].stats
    assert stats["positions"] == len(ref)
    assert stats["changed_share"] == pytest.approx(np.mean([r["label"] != r["original"] for r in ref.values()]), abs=1e-4)


def test_forbidden_rule_and_alpha_matter(computed, blocks, tiny_model_dir, reinforced_dir):
    """The hand-made data exercises the rule (a forbidden token was the raw argmax) and alpha changes labels."""
    store, _, arts = computed
    ref = reference_labels(blocks, tiny_model_dir, reinforced_dir, 0.0)
    a0, a10 = stored_rows(store, arts[0.0]), stored_rows(store, arts[10.0])
    hit = [(bid, i) for (bid, i), r in ref.items()
           if any(t == r["raw_top"] and s <= i for t, s in zip(blocks[bid]["forbidden_tokens"], blocks[bid]["forbidden_from"]))]
    assert hit
    assert all(a0[k]["label_token"] != ref[k]["raw_top"] for k in hit)
    assert any(a0[k]["label_token"] != a10[k]["label_token"] for k in a0)


@pytest.mark.parametrize("new_alpha", [1.0, 7.5])
def test_relabel_equals_recomputation_on_exact_positions(computed, blocks, tiny_model_dir, reinforced_dir, new_alpha):
    store, arts, computed_arts = computed
    art, created = relabel(store, TARGET, new_alpha, labels=computed_arts[5.0])
    assert created and art.parents["relabel_of"] == computed_arts[5.0].version
    ref = reference_labels(blocks, tiny_model_dir, reinforced_dir, new_alpha)
    rows = stored_rows(store, art)
    exact = [k for k in ref if rows[k]["exact"]]
    share = len(exact) / len(ref)
    print(f"relabel at alpha {new_alpha}: exact share {share:.3f} of {len(ref)} positions")
    assert art.stats["exact_share"] == pytest.approx(share, abs=1e-4)
    assert share > 0.9
    assert [rows[k]["label_token"] for k in exact] == [ref[k]["label"] for k in exact]
    for k in ref:  # non-exact positions keep the best stored candidate
        assert rows[k]["label_token"] in rows[k]["topk_ids"]
        assert rows[k]["alpha"] == new_alpha
        bound = rows[k]["exact_up_to_alpha"]
        assert abs(bound - new_alpha) < 1e-3 or rows[k]["exact"] == (bound >= new_alpha)


def test_compute_labels_reuses_and_relabels_without_models(computed, monkeypatch):
    """A new alpha on the same blocks and models takes the relabel path; the same alpha is a no-op."""
    import training.labels as labels_mod

    store, arts, computed_arts = computed
    monkeypatch.setattr(labels_mod, "load_model", lambda *a, **k: pytest.fail("a model was loaded"))
    settings = LabelSettings(alpha=3.0, top_k=8, blocks_per_part=3)
    art, created = compute_labels(store, TARGET, settings, blocks=arts[0], subject=arts[1], reinforced=arts[2])
    assert created and art.stats["relabelled"] and art.parents["relabel_of"] is not None
    again, created = compute_labels(store, TARGET, settings, blocks=arts[0], subject=arts[1], reinforced=arts[2])
    assert not created and again.version == art.version
    same, created = compute_labels(store, TARGET, LabelSettings(alpha=5.0, top_k=8, blocks_per_part=3),
                                   blocks=arts[0], subject=arts[1], reinforced=arts[2])
    assert not created and same.version == computed_arts[5.0].version


# -- forbid_originals: the target's own names are never a generic label ------------------------

@pytest.mark.parametrize("piece, forbidden", [
    (" James", True), ("James", True), (" Black", True), (" D", True), (" Herm", True), (" Sn", True),
    (" He", False),      # the pronoun, though it starts " Hedwig"
    (" the", False),     # of " thestrals"
    (" For", False),     # of " Forbidden": a function word
    (" de", False),      # lower case: the start of " dementors", and of many ordinary words
    (" A", False), (" I", False), (" 1", False), (" first", False),
])
def test_name_piece(piece, forbidden):
    from training.labels import name_piece

    assert name_piece(piece) == forbidden


def test_original_tokens_are_the_names_first_pieces(smollm2_tokenizer):
    """Every word's first token, both spacings, of the terms as the corpus spells them; generic pieces left out."""
    import pyarrow as pa

    from training.labels import original_tokens

    class FakeStore:
        def require(self, kind, target, version):
            assert (kind, version) == ("translate", "t1")
            return "translation"

        def read(self, table, art, columns=None):
            assert (table, art, columns) == ("substitutions", "translation", ["original"])
            return pa.table({"original": ["James Potter", "the Dark Lord", "Hedwig", "James"]})

    class Blocks:
        parents = {"translation": "t1"}

    got = {smollm2_tokenizer.decode([t]) for t in original_tokens(FakeStore(), TARGET, Blocks(), smollm2_tokenizer)}
    first = lambda text: smollm2_tokenizer.decode(smollm2_tokenizer(text)["input_ids"][:1])  # noqa: E731
    assert {" James", "James", " Potter", first("Potter"), " Dark", "Dark"} <= got
    assert not got & {" the", "the", " Lord", "Lord"}  # generic words ("lord" is a form of address)
    assert (first(" Hedwig") in got) == (first(" Hedwig") != " He")  # " He" of " Hedwig" would stay allowed


def test_forbid_originals_keeps_those_tokens_out_of_every_label(computed, blocks, tiny_model_dir, reinforced_dir,
                                                                 monkeypatch):
    """With forbid_originals the given tokens are forbidden from each block's first position: the labels equal the
    plain reference with them added to every block's forbidden list at 0; the default's version is unchanged."""
    import training.labels as labels_mod

    store, arts, computed_arts = computed
    ref0 = reference_labels(blocks, tiny_model_dir, reinforced_dir, 5.0)
    favourite = sorted({r["label"] for r in ref0.values()})[:3]  # tokens the labels use now
    monkeypatch.setattr(labels_mod, "original_tokens", lambda *a: favourite)
    settings = LabelSettings(alpha=5.0, top_k=8, batch_size=3, blocks_per_part=3, reuse=False)
    art, created = compute_labels(store, TARGET, settings.model_copy(update={"forbid_originals": True}),
                                  blocks=arts[0], subject=arts[1], reinforced=arts[2])
    assert created and art.version != computed_arts[5.0].version
    widened = [dict(b, forbidden_tokens=b["forbidden_tokens"] + favourite,
                    forbidden_from=b["forbidden_from"] + [0] * len(favourite)) for b in blocks]
    ref = reference_labels(widened, tiny_model_dir, reinforced_dir, 5.0)
    rows = stored_rows(store, art)
    assert {k: r["label_token"] for k, r in rows.items()} == {k: r["label"] for k, r in ref.items()}
    assert not {r["label_token"] for r in rows.values()} & set(favourite)
    assert any(r["label"] in favourite for r in ref0.values())  # the rule changed something
    # the default's version is what it was before the option existed; a relabel keeps the option
    plain, created = compute_labels(store, TARGET, settings, blocks=arts[0], subject=arts[1], reinforced=arts[2])
    assert not created and plain.version == computed_arts[5.0].version
    other, _ = compute_labels(store, TARGET, LabelSettings(alpha=2.0, top_k=8, blocks_per_part=3, forbid_originals=True),
                              blocks=arts[0], subject=arts[1], reinforced=arts[2])
    assert other.parents["relabel_of"] == art.version and other.settings["forbid_originals"]
