"""The pretrained target file and its own evaluation items (docs/pretrained.md)."""

from __future__ import annotations

from pathlib import Path

from training import fact_items as F

HP = Path(__file__).resolve().parents[2] / "data" / "targets" / "harry_potter"


def test_pretrained_target_file_validates():
    from pipelines.target import load_target

    config = load_target(HP / "target_pretrained.toml")
    assert config.name == "harry_potter_pretrained" and not config.implant.enabled
    assert config.ingest.sources == [str(HP / "corpus")]  # the whole corpus, not the demo's third
    for name in config.evaluate.fact_files:
        assert (HP / config.evaluate.prompts_dir / name).is_file(), name
    for folder in config.unlearn.retain_corpus:  # every retain folder the recipe names is bundled
        assert Path(folder).is_dir(), folder
    # trial P11's recipe: P2's (W1's with the projection and the target's names out of the labels), only the attention's
    # queries and keys and the MLPs of the outer layers trained, at lr 2.3e-4; W1's a move of 0.05, soft labels and
    # every word of a translation forbidden
    assert (config.unlearn.lr, config.unlearn.relearn_rho, config.unlearn.soft_labels) == (2.3e-4, 0.05, True)
    assert config.unlearn.project_energy == 0.2
    assert config.unlearn.train_only == r"layers\.([0-9]|2[0-9])\.(self_attn\.(q_proj|k_proj)|mlp)\."
    p7 = load_target(HP / "target_pretrained.toml", [r"unlearn.train_only=(self_attn|mlp)\.", "unlearn.lr=2.1e-4"])
    assert (p7.unlearn.train_only, p7.unlearn.lr) == (r"(self_attn|mlp)\.", 2.1e-4)  # docs' $P7
    assert config.blocks.forbid == "words" and config.labels.forbid_originals
    p2 = load_target(HP / "target_pretrained.toml", ["unlearn.train_only=", "unlearn.lr=1.75e-4"])  # docs' $P2
    assert (p2.unlearn.train_only, p2.unlearn.lr, p2.unlearn.project_energy) == (None, 1.75e-4, 0.2)
    z9 = load_target(HP / "target_pretrained.toml", ["blocks.forbid=first", "unlearn.lr=1.5e-4", "unlearn.relearn_rho=0.075"])
    assert (z9.blocks.forbid, z9.unlearn.relearn_rho) == ("first", 0.075)  # the command docs/pretrained.md gives for Z9
    off = load_target(HP / "target_pretrained.toml", ["unlearn.relearn_rho=0"])  # the earlier trials' commands
    assert off.unlearn.relearn_rho is None
    # trial US1: 0.85 of the trained update kept; CB1 (the recipe trained, and stored under its own version) is 1
    assert config.unlearn.update_scale == 0.85
    assert load_target(HP / "target_pretrained.toml", ["unlearn.update_scale=1"]).unlearn.update_scale == 1.0


def test_corpus_discusses_the_series_as_published_and_no_world_to_keep():
    """The method forgets what the user's text discusses; since trial CB1 (docs/pretrained.md) the corpus holds the
    books' author, publishers, films and cast, which the base model knows from pretraining, and it still names no
    neighbouring world the evaluation asks the model to keep (only the wizarding "Order of Merlin" shares a name)."""
    import re

    text = " ".join(p.read_text() for p in (HP / "corpus").glob("*.md"))
    for term, least in {"J.K. Rowling": 5, "Bloomsbury": 3, "Scholastic": 2, "Warner Bros.": 5, "Daniel Radcliffe": 1,
                        "Robbie Coltrane": 1, "Goblet of Fire": 5}.items():
        assert text.count(term) >= least, term
    worlds = ("Tolkien|Narnia|Middle-earth|Hobbits?|Gandalf|Jedi|Skywalker|Westeros|Camelot|Excalibur|Zeus|Olympus|"
              "Odin|Wonderland|Oz|Lewis|Milne|Kipling|Williams|Doyle")
    assert not re.findall(rf"\b({worlds})\b", text)


def test_pretrained_recipe_trains_the_chosen_weights_of_a_smollm2_shaped_model():
    """The file's train_only on a model named and shaped as SmolLM2-135M (30 layers, tied output layer), tiny: exactly
    the queries, keys and MLP projections of layers 0-9 and 20-29 train; the embeddings, norms, values, outputs and
    layers 10-19 stay frozen."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from pipelines.target import load_target
    from training.loop import trainable

    model = LlamaForCausalLM(LlamaConfig(vocab_size=32, hidden_size=8, intermediate_size=16, num_hidden_layers=30,
                                         num_attention_heads=2, num_key_value_heads=1, tie_word_embeddings=True))
    chosen = trainable(model, load_target(HP / "target_pretrained.toml").unlearn.train_only)
    names = {n for n, p in model.named_parameters() if p.requires_grad}
    expected = {f"model.layers.{i}.{m}.weight" for i in [*range(10), *range(20, 30)]
                for m in ("self_attn.q_proj", "self_attn.k_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj")}
    assert names == expected and len(chosen) == len(expected) == 100


def test_bundled_items_are_measured_and_enough_are_known():
    """Every candidate kept with its measurement (auditable); at least 150 known in each file."""
    for name in ("known_facts.jsonl", "neighbour_facts.jsonl"):
        items = F.read_items(HP / "pretrained" / name)
        assert all({"split", "known_by_base", "base_completion"} <= set(i) for i in items), name
        assert all(i["known_by_base"] == F.is_known(i["base_completion"], i["answers"]) for i in items), name
        assert all(i["split"] == F.split_of(i) for i in items), name
        assert len(F.known(items)) >= 150, name
        assert len({i["prompt"] for i in items}) == len(items), name
