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
    # trial P7's recipe: P2's (W1's with the projection and the target's names out of the labels), only the projected
    # layers trained, at lr 2.1e-4; W1's a move of 0.05, soft labels and every word of a translation forbidden
    assert (config.unlearn.lr, config.unlearn.relearn_rho, config.unlearn.soft_labels) == (2.1e-4, 0.05, True)
    assert (config.unlearn.project_energy, config.unlearn.train_only) == (0.2, r"(self_attn|mlp)\.")
    assert config.blocks.forbid == "words" and config.labels.forbid_originals
    p2 = load_target(HP / "target_pretrained.toml", ["unlearn.train_only=", "unlearn.lr=1.75e-4"])  # docs' $P2
    assert (p2.unlearn.train_only, p2.unlearn.lr, p2.unlearn.project_energy) == (None, 1.75e-4, 0.2)
    z9 = load_target(HP / "target_pretrained.toml", ["blocks.forbid=first", "unlearn.lr=1.5e-4", "unlearn.relearn_rho=0.075"])
    assert (z9.blocks.forbid, z9.unlearn.relearn_rho) == ("first", 0.075)  # the command docs/pretrained.md gives for Z9
    off = load_target(HP / "target_pretrained.toml", ["unlearn.relearn_rho=0"])  # the earlier trials' commands
    assert off.unlearn.relearn_rho is None


def test_bundled_items_are_measured_and_enough_are_known():
    """Every candidate kept with its measurement (auditable); at least 150 known in each file."""
    for name in ("known_facts.jsonl", "neighbour_facts.jsonl"):
        items = F.read_items(HP / "pretrained" / name)
        assert all({"split", "known_by_base", "base_completion"} <= set(i) for i in items), name
        assert all(i["known_by_base"] == F.is_known(i["base_completion"], i["answers"]) for i in items), name
        assert all(i["split"] == F.split_of(i) for i in items), name
        assert len(F.known(items)) >= 150, name
        assert len({i["prompt"] for i in items}) == len(items), name
