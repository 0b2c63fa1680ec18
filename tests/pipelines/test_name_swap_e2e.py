"""`[unlearn] translated_names` on a real tiny run: the renamed translations, the stage, the file's path and its errors."""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import pytest
import torch

from corpus_tools.store import Store
from pipelines.cli import main
from pipelines.target import load_target
from training.data import translated_data
from training.models import load_model, load_tokenizer, model_folder
from training.name_swap import read_people, renamed_data, swap_map
from training.unlearn import kl_to_teacher

sys.path.insert(0, str(Path(__file__).parent))
from test_run_e2e import copy_of_clean_run  # noqa: E402

pytestmark = pytest.mark.e2e
PEOPLE = "Marie Curie\nIsaac Newton\nAda Lovelace\nAlan Turing\n"


def _current(store: Store, kind: str):
    return store.require(kind, "tiny", store.current("tiny")[kind])


def test_renamed_rows_are_the_translation_with_known_people_in_the_generic_peoples_place(tmp_path, tiny_clean_run):
    ws, _ = tiny_clean_run
    store = Store(ws)
    blocks = _current(store, "blocks")
    people_file = tmp_path / "people.txt"
    people_file.write_text(PEOPLE)
    people = read_people(people_file)
    tok = load_tokenizer(model_folder(_current(store, "base")))
    plain = translated_data(store, blocks, pad_id=0, width=64)
    named = renamed_data(store, blocks, tok, people, width=64)
    assert named.input_ids.shape == plain.input_ids.shape  # one row per forget block, in the same order

    translation = store.require("translate", "tiny", blocks.parents["translation"])
    anchors = store.read("anchors", store.require("anchors", "tiny", translation.parents["dictionary"]))
    subs = store.read("substitutions", translation).to_pylist()
    persons = {r["term"] for r in anchors.to_pylist() if r["label"] == "PERSON"}
    assert {"Harry Potter", "Hermione"} <= persons  # the tiny corpus has people to rename
    words = swap_map(anchors, Counter(s["term"] for s in subs if s["term"] in persons), people)
    generic = re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\b")
    known = re.compile(r"\b(" + "|".join(map(re.escape, {w for p in people for w in p})) + r")\b")
    renamed_any = False
    for p_ids, n_ids, p_mask, n_mask in zip(plain.input_ids, named.input_ids, plain.attention_mask,
                                            named.attention_mask):
        before = tok.decode(p_ids[p_mask.bool()])
        after = tok.decode(n_ids[n_mask.bool()])
        # the story is the same word for word once both kinds of name are blanked; the generic people are gone
        if len(before) < 150:  # whole blocks (a cut block may end at another word once the names change length)
            assert known.sub("_", after) == generic.sub("_", before)
        assert not generic.search(after) and not known.search(before)
        renamed_any |= bool(known.search(after))
    assert renamed_any


def test_the_stage_holds_the_subject_on_the_renamed_rows(tmp_path, tiny_clean_run, capsys):
    """Three trials at a learning rate that moves the tiny model: none, the generic translation, the renamed one.
    Only the renamed rows' term keeps the subject's predictions on the renamed rows: the stage reads them."""
    ws = copy_of_clean_run(tiny_clean_run, tmp_path / "ws")
    target = tiny_clean_run[1]
    people_file = tmp_path / "people.txt"
    people_file.write_text(PEOPLE)
    fast = ("--set", "unlearn.lr=1e-2", "--until", "unlearn")
    trials = {"plain": (), "generic": ("--set", "unlearn.translated_weight=20"),
              "named": ("--set", "unlearn.translated_weight=20", "--set", f"unlearn.translated_names={people_file}")}
    models = {}
    for name, extra in trials.items():  # in-process: an interpreter start per trial costs about 4 s
        assert main(["-w", str(ws), "run", str(target), *fast, *extra]) == 0
        models[name] = Store(ws).latest("unlearn", "tiny")  # a trial (--set) leaves the current versions as they were
    assert len({m.version for m in models.values()}) == 3
    assert models["named"].settings["translated_names"] == str(people_file)

    store = Store(ws)
    subject = _subject_of(store, models["named"])
    tok = load_tokenizer(model_folder(subject))
    text = renamed_data(store, _current(store, "blocks"), tok, read_people(people_file), width=32)

    def drift(art) -> float:  # KL from the subject's predictions on the renamed translations
        with torch.no_grad():
            ref = load_model(model_folder(subject))(input_ids=text.input_ids, attention_mask=text.attention_mask).logits
            got = load_model(model_folder(art))(input_ids=text.input_ids, attention_mask=text.attention_mask).logits
        return float(kl_to_teacher(got, ref, text.labels))

    moved = {name: drift(m) for name, m in models.items()}
    assert moved["named"] < 0.5 * moved["plain"] and moved["named"] < moved["generic"], moved

    capsys.readouterr()
    missing = main(["-w", str(ws), "run", str(target), "--set", "unlearn.translated_weight=20", "--set",
                    f"unlearn.translated_names={tmp_path / 'gone.txt'}", "--until", "unlearn"])
    assert missing == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last == f"error: translated_names {tmp_path / 'gone.txt'}: no such file"


def _subject_of(store: Store, unlearned):
    """The model an unlearned artifact was trained from (the implanted subject, or the base model without one)."""
    version = unlearned.parents["subject"]
    found = [a for kind in ("implant", "base") if (a := store.get(kind, "tiny", version)) is not None]
    assert found, unlearned.parents
    return found[0]


def test_target_file_resolves_the_people_file_against_itself(tmp_path):
    path = tmp_path / "t" / "target.toml"
    path.parent.mkdir()
    path.write_text('name = "t"\n[ingest]\nsources = ["corpus"]\n[unlearn]\ntranslated_weight = 2.0\n'
                    'translated_names = "../people.txt"\n')
    assert load_target(path).unlearn.translated_names == str(tmp_path / "t" / "../people.txt")


def test_a_wrong_file_of_a_later_stage_stops_the_run_before_any_stage(tmp_path, tiny_model_dir, capsys):
    """The unlearn stage's files and the evaluate stage's folders are checked before the first stage runs (a missing
    Austen collection once surfaced only after 23 minutes of training); a run that stops earlier needs none."""
    from test_run_e2e import _target

    target = _target(tmp_path, tiny_model_dir)
    run = ["-w", str(tmp_path / "ws"), "run", str(target)]  # in-process; the exit code is main's return value
    wrong = {("--set", "unlearn.translated_weight=2", "--set", "unlearn.translated_names=no_people.txt"):
             "no_people.txt: no such file",
             ("--set", "unlearn.retain_corpus=no_folder"): "no_folder: no .md or .txt files",
             ("--set", "evaluate.other_register_texts=no_books"): r"evaluate\.other_register_texts: \S*no_books is not a folder",
             ("--set", "evaluate.general_dir=no_general"): r"evaluate\.general_dir \S*no_general is not a folder",
             ("--set", 'evaluate.fact_files=["no_facts.jsonl"]'): r"evaluate\.fact_files: \S*no_facts\.jsonl does not exist"}
    for extra, says in wrong.items():
        code, err = main([*run, *extra]), capsys.readouterr().err
        assert code == 2 and "built in" not in err, err[-2000:]
        last = err.strip().splitlines()[-1]
        assert last.startswith("error: ") and re.search(says, last), last
    assert not Store(tmp_path / "ws").artifacts()  # nothing stored
    # a run that stops before those stages does not need their files
    assert main([*run, "--set", "unlearn.retain_corpus=no_folder", "--set", "evaluate.other_register_texts=no_books",
                 "--until", "blocks"]) == 0
