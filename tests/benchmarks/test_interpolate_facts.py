"""The weight interpolation of the pretrained screen (benchmarks/interpolate_facts.py), by hand."""

import pytest
import torch

from benchmarks.interpolate_facts import header, interpolate, low_rank, negate, parse_at, reset, scaled_at


def test_interpolation_ends_at_both_models_and_is_linear_between():
    base = {"w": torch.tensor([1.0, -2.0]), "b": torch.tensor([0.5])}
    other = {"w": torch.tensor([3.0, 2.0]), "b": torch.tensor([-0.5])}
    assert all(torch.equal(interpolate(base, other, 0.0)[k], base[k]) for k in base)
    assert all(torch.equal(interpolate(base, other, 1.0)[k], other[k]) for k in base)
    mid = interpolate(base, other, 0.75)
    assert torch.allclose(mid["w"], torch.tensor([2.5, 1.0])) and torch.allclose(mid["b"], torch.tensor([-0.25]))
    assert torch.equal(base["w"], torch.tensor([1.0, -2.0]))  # the inputs are left as they were


def test_interpolation_refuses_two_architectures():
    with pytest.raises(ValueError, match="not the same architecture"):
        interpolate({"w": torch.zeros(1)}, {"v": torch.zeros(1)}, 0.5)


def test_negation_takes_the_task_vector_away_by_hand():
    base = {"w": torch.tensor([1.0, -2.0])}
    reinforced = {"w": torch.tensor([2.0, 0.0])}  # task vector (1, 2)
    point = {"w": torch.tensor([0.0, 1.0])}
    assert torch.equal(negate(point, base, reinforced, 0.0)["w"], point["w"])
    assert torch.allclose(negate(point, base, reinforced, 0.5)["w"], torch.tensor([-0.5, 0.0]))
    # negation alone: the base model minus its fine-tune's move, reflected through the base model at mu = 1
    assert torch.allclose(negate(base, base, reinforced, 1.0)["w"], torch.tensor([0.0, -4.0]))
    with pytest.raises(ValueError, match="not the same architecture"):
        negate(point, base, {"v": torch.zeros(2)}, 0.5)


def test_reset_sets_the_matched_weights_back_to_the_base_model():
    base = {"model.embed_tokens.weight": torch.zeros(2), "model.layers.0.mlp.up_proj.weight": torch.full((2,), 3.0),
            "model.norm.weight": torch.ones(2)}
    point = {k: v + 1.0 for k, v in base.items()}
    assert reset(point, base, None) is point
    got = reset(point, base, r"embed_tokens|norm")
    assert torch.equal(got["model.embed_tokens.weight"], base["model.embed_tokens.weight"])
    assert torch.equal(got["model.norm.weight"], base["model.norm.weight"])
    assert torch.equal(got["model.layers.0.mlp.up_proj.weight"], point["model.layers.0.mlp.up_proj.weight"])
    assert torch.equal(point["model.norm.weight"], torch.full((2,), 2.0))  # the input is left as it was
    with pytest.raises(ValueError, match="finds no weight"):
        reset(point, base, "lm_head")


def test_the_header_names_only_the_splits_read():
    """A selection file read on its dev split only has no test column (its test items are never read)."""
    files = {"neighbour_facts": [{"split": "dev"}, {"split": "test"}], "select_neighbours": [{"split": "dev"}]}
    assert header(files).split() == ["neighbour_facts", "dev", "neighbour_facts", "test", "select_neighbours", "dev"]


def test_reset_takes_a_tied_twin_along():
    """lm_head tied to the embeddings: equal in both models, so resetting one resets the other (else loading the
    state dict would write the unlearned twin back over the reset embeddings)."""
    base = {"model.embed_tokens.weight": torch.zeros(2, 2), "lm_head.weight": torch.zeros(2, 2),
            "model.layers.0.mlp.up_proj.weight": torch.full((2, 2), 2.0)}
    point = {"model.embed_tokens.weight": torch.ones(2, 2), "lm_head.weight": torch.ones(2, 2),
             "model.layers.0.mlp.up_proj.weight": torch.full((2, 2), 3.0)}
    got = reset(point, base, "embed_tokens")
    assert torch.equal(got["lm_head.weight"], base["lm_head.weight"])
    assert torch.equal(got["model.layers.0.mlp.up_proj.weight"], point["model.layers.0.mlp.up_proj.weight"])
    untied = {**point, "lm_head.weight": torch.full((2, 2), 2.0)}  # not equal to the embeddings: left alone
    assert torch.equal(reset(untied, base, "embed_tokens")["lm_head.weight"], untied["lm_head.weight"])


def test_a_screen_reads_the_reported_split_only_when_asked(tmp_path):
    """The screen chooses what to try next: without --test it scores no test item of any file (the main files' nor the
    selection file's); with --test the main files' test items come in, the selection file's never."""
    import json

    from benchmarks.interpolate_facts import screened

    def write(name, rows):
        path = tmp_path / f"{name}.jsonl"
        path.write_text("".join(json.dumps({"prompt": p, "answers": ["x"], "topic": "t", "split": s,
                                            "known_by_base": k}) + "\n" for p, s, k in rows))
        return path

    main = write("known_facts", [("a", "dev", True), ("b", "test", True), ("c", "dev", False), ("d", "test", True)])
    select = write("select_neighbours", [("e", "dev", True), ("f", "test", True)])
    dev = screened([main], [select])
    assert [i["prompt"] for i in dev["known_facts"]] == ["a"]
    assert [i["prompt"] for i in dev["select_neighbours"]] == ["e"]
    assert header(dev).split() == ["known_facts", "dev", "select_neighbours", "dev"]
    both = screened([main], [select], test=True)
    assert [i["prompt"] for i in both["known_facts"]] == ["a", "b", "d"]
    assert [i["prompt"] for i in both["select_neighbours"]] == ["e"]


def test_low_rank_keeps_the_update_s_largest_directions_by_hand():
    base = {"m": torch.ones(3, 3), "n": torch.ones(3), "same": torch.eye(3)}
    # the update diag(5, 2, 0): its best rank-1 cut is diag(5, 0, 0), its rank-2 cut the update itself
    other = {"m": torch.ones(3, 3) + torch.diag(torch.tensor([5.0, 2.0, 0.0])), "n": torch.zeros(3), "same": torch.eye(3)}
    one = low_rank(base, other, 1)
    assert torch.allclose(one["m"], torch.ones(3, 3) + torch.diag(torch.tensor([5.0, 0.0, 0.0])), atol=1e-6)
    assert torch.allclose(low_rank(base, other, 2)["m"], other["m"], atol=1e-6)
    assert torch.equal(one["n"], other["n"]) and torch.equal(one["same"], other["same"])  # vectors, unmoved weights
    assert low_rank(base, other, None) is other
    assert torch.equal(other["m"][0, 0], torch.tensor(6.0))  # the input is left as it was


def test_scaled_at_gives_the_found_weights_their_own_share_by_hand():
    base = {"model.layers.0.mlp.up_proj.weight": torch.zeros(2), "model.layers.0.self_attn.q_proj.weight": torch.zeros(2),
            "model.embed_tokens.weight": torch.zeros(2), "lm_head.weight": torch.zeros(2)}
    other = {"model.layers.0.mlp.up_proj.weight": torch.full((2,), 4.0),
             "model.layers.0.self_attn.q_proj.weight": torch.full((2,), 8.0),
             "model.embed_tokens.weight": torch.full((2,), 2.0), "lm_head.weight": torch.full((2,), 2.0)}
    got = scaled_at(base, other, 0.5, (r"\.mlp\.", 0.25))
    assert torch.equal(got["model.layers.0.mlp.up_proj.weight"], torch.full((2,), 1.0))  # 0.25 x 4
    assert torch.equal(got["model.layers.0.self_attn.q_proj.weight"], torch.full((2,), 4.0))  # lam: 0.5 x 8
    tied = scaled_at(base, other, 0.5, ("embed_tokens", 1.0))  # the tied output layer goes along (else loading
    assert torch.equal(tied["lm_head.weight"], torch.full((2,), 2.0))  # the state dict writes its twin back)
    assert all(torch.equal(scaled_at(base, other, 0.5, None)[k], interpolate(base, other, 0.5)[k]) for k in base)
    with pytest.raises(ValueError, match="--at 'v_proj' finds no weight"):
        scaled_at(base, other, 0.5, ("v_proj", 0.5))


def test_parse_at_splits_at_the_last_equals_sign():
    import argparse

    assert parse_at(r"layers\.[0-9]\.mlp\.=0.5") == (r"layers\.[0-9]\.mlp\.", 0.5)
    assert parse_at("a=b=1") == ("a=b", 1.0)
    for bad in ("mlp", "=0.5", "mlp=half"):
        with pytest.raises(argparse.ArgumentTypeError, match="expected REGEX=SHARE"):
            parse_at(bad)


def test_a_row_per_at_each_written_out_as_a_model(tiny_model_dir, forced_model_dir, tmp_path, capsys):
    """The forced model answers the item through its edited output layer; the row that gives that layer none of its
    update (the base model's layer) does not, and each row's model is written out as the row scored it."""
    import json

    from benchmarks.interpolate_facts import main
    from training.models import load_model

    facts = tmp_path / "known_facts.jsonl"
    facts.write_text(json.dumps({"prompt": "Harry's best friends are Hermione and", "answers": ["Ron"], "topic": "t",
                                 "split": "dev", "known_by_base": True}) + "\n")
    out = tmp_path / "screens"
    main([str(tiny_model_dir), str(forced_model_dir), str(facts), "--lam", "1", "--at", "lm_head=0", "--write", str(out)])
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[1:]]
    assert [(r[3], r[4]) for r in rows] == [("-", "1/1"), ("lm_head=0", "0/1")]
    assert sorted(p.name for p in out.iterdir()) == ["full_1_0_-", "full_1_0_lm_head=0"]
    written = load_model(out / "full_1_0_lm_head=0").state_dict()
    base, forced = load_model(tiny_model_dir).state_dict(), load_model(forced_model_dir).state_dict()
    assert torch.equal(written["lm_head.weight"], base["model.embed_tokens.weight"])
    assert torch.equal(written["model.layers.0.mlp.up_proj.weight"], forced["model.layers.0.mlp.up_proj.weight"])
    assert torch.allclose(load_model(out / "full_1_0_-").state_dict()["lm_head.weight"], forced["lm_head.weight"], atol=1e-7)


def test_random_update_keeps_each_weight_s_update_norm_and_no_direction():
    from benchmarks.interpolate_facts import random_update

    torch.manual_seed(0)
    base = {"a": torch.zeros(4, 4), "b": torch.ones(8), "same": torch.eye(3), "tie1": torch.zeros(3, 2),
            "tie2": torch.zeros(3, 2)}
    step = torch.arange(16.0).reshape(4, 4)
    other = {"a": step, "b": torch.ones(8) + 0.5, "same": torch.eye(3), "tie1": torch.ones(3, 2), "tie2": torch.ones(3, 2)}
    got = random_update(base, other, seed=0)
    for k in ("a", "b", "tie1"):  # the same size of update, weight by weight
        assert torch.isclose((got[k] - base[k]).norm(), (other[k] - base[k]).norm(), rtol=1e-5)
    assert torch.equal(got["same"], other["same"])  # an unchanged weight stays unchanged
    assert torch.equal(got["tie1"], got["tie2"])     # tied twins share their noise
    cos = torch.nn.functional.cosine_similarity(got["a"].flatten(), step.flatten(), dim=0)
    assert abs(float(cos)) < 0.9                      # not the learnt direction (arange is far from Gaussian noise)
    assert all(torch.equal(random_update(base, other, seed=0)[k], got[k]) for k in got)   # seeded
    assert not torch.equal(random_update(base, other, seed=1)["a"], got["a"])
    assert torch.equal(other["a"], step)              # the input is left as it was


def test_random_rows_one_per_seed_and_not_with_rank(tiny_model_dir, forced_model_dir, tmp_path, capsys):
    """A row per seed; the forced model's answer lives in the direction of its edit, which noise of the same size
    does not keep."""
    import json

    from benchmarks.interpolate_facts import main

    facts = tmp_path / "known_facts.jsonl"
    facts.write_text(json.dumps({"prompt": "Harry's best friends are Hermione and", "answers": ["Ron"], "topic": "t",
                                 "split": "dev", "known_by_base": True}) + "\n")
    main([str(tiny_model_dir), str(forced_model_dir), str(facts), "--lam", "1", "--random", "0,1"])
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[1:]]
    assert [(r[0], r[4]) for r in rows] == [("rnd0", "0/1"), ("rnd1", "0/1")]
    with pytest.raises(SystemExit):
        main([str(tiny_model_dir), str(forced_model_dir), str(facts), "--random", "0", "--rank", "4"])
