"""Self-samples (training/self_retain.py and the `self-samples` verb): openings read as written, samples drawn
reproducibly from the subject, samples naming a dictionary term dropped, a new folder a retain corpus can name."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus_tools.errors import ObliviateError
from test_run_e2e import copy_of_clean_run
from training.self_retain import check_new_folder, drop_mentions, read_seeds, sample_texts, write_samples


def test_seeds_skip_blank_and_comment_lines(tmp_path):
    f = tmp_path / "seeds.txt"
    f.write_text("# openings\n\nIn Greek mythology,\n  The legend tells that  \n")
    assert read_seeds(f) == ["In Greek mythology,", "The legend tells that"]
    f.write_text("# nothing\n\n")
    with pytest.raises(ObliviateError, match="no openings"):
        read_seeds(f)
    with pytest.raises(ObliviateError, match="not found"):
        read_seeds(tmp_path / "missing.txt")


@pytest.mark.parametrize("text, dropped", [
    ("King Arthur drew the sword", "Arthur"),        # a whole word
    ("Arthurian legend tells", None),                # not inside a longer word
    ("the arthur of lowercase", None),               # case counts: a dictionary term is a name
    ("Ron Weasley and friends", "Ron Weasley"),      # the longest term that matches is the one reported
    ("(Hogwarts) was", "Hogwarts"),                  # punctuation around it
    ("Ronald said", None),
])
def test_drop_mentions_whole_words_in_case(text, dropped):
    kept, out = drop_mentions([text], ["Arthur", "Ron", "Ron Weasley", "Hogwarts", "x"])
    assert (out[0][0] if out else None) == dropped
    assert kept == ([] if dropped else [text])


def test_drop_mentions_without_terms_keeps_everything():
    assert drop_mentions(["a", "b"], []) == (["a", "b"], [])


def test_samples_are_reproducible_and_start_with_their_opening(tiny_model_dir):
    from training.models import load_model, load_tokenizer

    model, tok = load_model(tiny_model_dir), load_tokenizer(tiny_model_dir)
    seeds = ["Once upon a time", "In Greek mythology,"]
    calls = []
    a = sample_texts(model, tok, seeds, per_seed=3, max_new_tokens=6, seed=1, advance=calls.append)
    assert len(a) == 6 and calls == [1, 1]
    assert all(t.startswith(seeds[i // 3]) and len(t) > len(seeds[i // 3]) for i, t in enumerate(a))
    assert sample_texts(model, tok, seeds, per_seed=3, max_new_tokens=6, seed=1) == a
    assert sample_texts(model, tok, seeds, per_seed=3, max_new_tokens=6, seed=2) != a
    assert len(set(a[:3])) > 1  # sampled, not greedy: one opening gives different texts
    with pytest.raises(ObliviateError):
        sample_texts(model, tok, seeds, temperature=0)


def test_write_samples_in_files_of_twenty_into_a_new_folder(tmp_path):
    out = tmp_path / "samples"
    files = write_samples([f"text {i}" for i in range(45)], out)
    assert [f.name for f in files] == ["samples_000.txt", "samples_001.txt", "samples_002.txt"]
    assert files[2].read_text() == "text 40\n\ntext 41\n\ntext 42\n\ntext 43\n\ntext 44\n"
    with pytest.raises(ObliviateError, match="not an empty folder"):
        write_samples(["more"], out)
    with pytest.raises(ObliviateError, match="nothing to write"):
        write_samples([], tmp_path / "other")
    (tmp_path / "empty").mkdir()
    check_new_folder(tmp_path / "empty")


@pytest.mark.e2e
def test_verb_writes_a_retain_folder_of_the_subjects_samples(tmp_path, tiny_clean_run):
    from pipelines.cli import main
    from training.retain import retain_files, retain_fingerprint

    ws, target = copy_of_clean_run(tiny_clean_run, tmp_path / "ws"), tiny_clean_run[1]
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("Once upon a time\nThe legend tells that\n")

    def verb(out: str, seeds_file: Path = seeds) -> int:
        return main(["-w", str(ws), "self-samples", str(target), str(tmp_path / out), "--seeds", str(seeds_file),
                     "--per-seed", "2", "--max-new-tokens", "5"])

    assert verb("a") == 0 and verb("b") == 0
    files = retain_files(str(tmp_path / "a"))
    texts = [t for f in files for t in f.read_text().strip().split("\n\n")]
    assert 1 <= len(texts) <= 4 and all(t.startswith(("Once upon a time", "The legend tells that")) for t in texts)
    assert retain_fingerprint(str(tmp_path / "a")) == retain_fingerprint(str(tmp_path / "b"))  # reproducible
    assert verb("a") != 0  # a folder that holds files already is refused, with a non-zero exit
    assert [f.name for f in retain_files(str(tmp_path / "a"))] == [f.name for f in files]
    assert verb("c", tmp_path / "none.txt") != 0 and not (tmp_path / "c").exists()
