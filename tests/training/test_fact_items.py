"""Fact items (training/fact_items.py) and their metrics and the lexicon's in the evaluate stage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpus_tools.errors import ObliviateError
from training import fact_items as F
from training import evaluate as E
from training.evaluate import EvalSettings, evaluate

ITEM = {"prompt": "Harry Potter's best friends are Ron and", "answers": ["Hermione"], "topic": "characters"}


def _write(path: Path, rows) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.mark.parametrize("completion, known", [
    (" Hermione.\n\nThe", True),
    (" hermione and Ginny", True),      # any case
    (" Hermiones", False),              # whole word only
    (" Harry, of course", False),
])
def test_is_known(completion, known):
    assert F.is_known(completion, ["Hermione", "Granger"]) is known


def test_mark_fills_the_measured_fields_and_keeps_the_written_ones():
    marked = F.mark([ITEM, {**ITEM, "prompt": "Ron and", "known_by_base": True}], [" Hermione.", " Harry."])
    assert [m["known_by_base"] for m in marked] == [True, False]   # measured again, not kept from the input
    assert marked[0]["base_completion"] == " Hermione." and marked[0]["topic"] == "characters"
    assert F.known(marked) == [marked[0]]
    with pytest.raises(ObliviateError, match="2 items but 1 completions"):
        F.mark([ITEM, ITEM], [" x"])


def test_one_rule_for_which_items_are_known_in_the_stage_and_the_benchmarks():
    """An item without `known_by_base` (a user's file the base model was never measured on) is known, and one without
    `split` a test item, for `known` (the benchmarks) as for the evaluate stage (`eval_data.known_facts`)."""
    from training.eval_data import known_facts, unknown_stems

    items = [ITEM,                                                        # neither field: known, test
             {**ITEM, "prompt": "a", "known_by_base": False, "split": "test"},
             {**ITEM, "prompt": "b", "known_by_base": True, "split": "dev"},
             {**ITEM, "prompt": "c", "split": "dev"}]                     # no field: known
    assert [i["prompt"] for i in F.known(items)] == [ITEM["prompt"], "b", "c"]
    assert [i["prompt"] for i in F.known(items, "test")] == [ITEM["prompt"]]
    assert [i["prompt"] for i in F.known(items, "dev")] == ["b", "c"]
    assert known_facts({"f": items}) == {"f": F.known(items)}
    assert unknown_stems({"f": items, "g": [ITEM]}) == {"f"}


def test_split_follows_the_fact_not_the_wording():
    a = F.split_of({"topic": "characters", "answers": ["Hermione"]})
    assert F.split_of({"topic": "characters", "answers": ["hermione ", "Granger"]}) == a
    splits = [F.split_of({"topic": "t", "answers": [f"answer {i}"]}) for i in range(400)]
    assert 0.2 < splits.count("dev") / 400 < 0.4  # DEV_SHARE 0.3


def test_a_selection_file_is_dev_except_where_it_shares_an_answer_with_the_main_files_test_split():
    main = [{"prompt": "a", "answers": ["Hyde"], "topic": "otherfantasy", "split": "test"},
            {"prompt": "b", "answers": ["Stevenson"], "topic": "otherfantasy", "split": "dev"},
            {"prompt": "c", "answers": ["Dahl", "Roald Dahl"], "topic": "otherfantasy", "split": "test"}]
    split = F.split_beside(main)
    assert split({"answers": ["Hyde"], "topic": "classics"}) == "test"          # the same fact under another topic
    assert split({"answers": ["Mr Hyde", "hyde "], "topic": "classics"}) == "test"  # any of its answers, any case
    assert split({"answers": ["roald dahl"], "topic": "x"}) == "test"            # any of the main item's answers
    assert split({"answers": ["Stevenson"], "topic": "classics"}) == "dev"      # a dev fact may be chosen on
    assert split({"answers": ["Kirk"], "topic": "scifi"}) == "dev"              # a new fact
    marked = F.mark([{**ITEM, "answers": ["Hyde"]}, {**ITEM, "prompt": "x", "answers": ["Kirk"]}], [" Hyde", " Kirk"], split)
    assert [m["split"] for m in marked] == ["test", "dev"]


@pytest.mark.parametrize("name", ["select_neighbours.jsonl", "select_neighbours_more.jsonl"])
def test_the_bundled_selection_files_never_share_an_answer_with_the_reported_split(name):
    folder = Path(__file__).resolve().parents[2] / "data/targets/harry_potter/pretrained"
    main = F.read_items(folder / "neighbour_facts.jsonl")
    select = F.read_items(folder / name)
    test_answers = {a.strip().lower() for i in main if i["split"] == "test" for a in i["answers"]}
    chosen_on = F.known(select, "dev")
    assert len(chosen_on) >= 100
    assert not [i["prompt"] for i in chosen_on if {a.strip().lower() for a in i["answers"]} & test_answers]
    assert not {i["prompt"] for i in select} & {i["prompt"] for i in main}   # written apart, no prompt reused
    assert all(i["split"] == F.split_beside(main)(i) for i in select)


def test_the_second_selection_file_adds_facts_the_first_and_the_target_do_not_hold():
    """select_neighbours_more.jsonl was written later (docs/pretrained.md, "A second selection file"): none of its
    answers is an answer of the main file, of the first selection file or of the target's own known facts, so
    its items add facts to choose on rather than paraphrases of facts already counted, and none of them is a
    Harry Potter answer that forgetting should remove ("Bill", "George")."""
    folder = Path(__file__).resolve().parents[2] / "data/targets/harry_potter/pretrained"
    more = F.read_items(folder / "select_neighbours_more.jsonl")
    before = {a.strip().lower() for name in ("neighbour_facts.jsonl", "select_neighbours.jsonl", "known_facts.jsonl")
              for i in F.read_items(folder / name) for a in i["answers"]}
    assert not [i["prompt"] for i in more if {a.strip().lower() for a in i["answers"]} & before]
    assert {i["split"] for i in more} == {"dev"}


def test_measure_marks_every_file_from_one_batched_pass(forced_model_dir):
    """The model greedily completes every file's prompts in one pass (the forced model says " Ron" after " and"):
    each item is known when its completion names an answer, its split follows the rule given, and no file is written."""
    from training.models import load_model, load_tokenizer

    model, tok = load_model(forced_model_dir), load_tokenizer(forced_model_dir)
    a = Path("a.jsonl")
    files = {a: [{"prompt": "Harry's friends were Hermione and", "answers": ["Ron"], "topic": "characters"},
                 {"prompt": "Harry's friends were Ron and", "answers": ["Hermione"], "topic": "characters",
                  "known_by_base": True}],                      # measured again, not taken from the file
             Path("b.jsonl"): [{"prompt": "Frodo walked with Sam and", "answers": ["ron"], "topic": "tolkien"}]}
    seen = []
    marked = F.measure(model, tok, files, new_tokens=3, split=lambda item: "dev", batch_size=2, advance=seen.append)
    assert sum(seen) == 3 and list(marked) == list(files)
    assert [i["known_by_base"] for i in marked[a]] == [True, False]
    assert marked[a][0]["base_completion"].startswith(" Ron") and marked[a][0]["split"] == "dev"
    assert [i["known_by_base"] for i in marked[Path("b.jsonl")]] == [True]    # any case, as the evaluate stage grades
    default = F.measure(model, tok, files, new_tokens=3)
    assert [i["split"] for i in default[a]] == [F.split_of(i) for i in files[a]]
    assert not a.exists()


def test_write_items_replaces_the_file_whole(tmp_path):
    path = _write(tmp_path / "facts.jsonl", [ITEM, {**ITEM, "prompt": "Ron and"}])
    F.write_items(path, [{**ITEM, "known_by_base": True, "split": "dev", "base_completion": " Hermione"}])
    assert F.read_items(path) == [{**ITEM, "known_by_base": True, "split": "dev", "base_completion": " Hermione"}]
    assert [p.name for p in tmp_path.iterdir()] == ["facts.jsonl"]   # no temporary file left beside it


def test_summary_counts_known_items_per_split_and_topic():
    items = [{**ITEM, "prompt": "a", "known_by_base": True, "split": "dev"},
             {**ITEM, "prompt": "b", "known_by_base": True, "split": "test"},
             {**ITEM, "prompt": "c", "known_by_base": False, "split": "test"},
             {**ITEM, "prompt": "d", "topic": "places", "known_by_base": False, "split": "test"}]
    assert F.summary(Path("x/facts.jsonl"), items) == ["facts.jsonl: 2 of 4 known (dev 1, test 1)",
                                                       "  characters 2/3, places 0/1"]


def test_evaluate_names_the_fact_files_never_measured_on_the_base_model():
    marked = {**ITEM, "known_by_base": True, "split": "test"}
    assert E.unmarked_facts({"known": [marked], "mine": [ITEM, {**ITEM, "prompt": "b"}, {**marked, "prompt": "c"}]}) == [
        "evaluate: 2 of 3 items of fact file 'mine' were never measured on the base model and count as known; "
        "`obliviate facts TARGET_FILE` marks which ones it knows"]


def test_read_items_rejects_an_answer_the_prompt_gives_away(tmp_path):
    path = _write(tmp_path / "f.jsonl", [ITEM, {**ITEM, "prompt": "Ron and Hermione", "answers": ["Hermione"]}])
    with pytest.raises(ObliviateError, match="f.jsonl:2: answer 'Hermione' already appears in the prompt"):
        F.read_items(path)
    with pytest.raises(ObliviateError, match="missing field"):
        F.read_items(_write(tmp_path / "g.jsonl", [{"prompt": "x"}]))


def test_read_items_rejects_a_repeated_prompt(tmp_path):
    """The prompt is an item's id: two facts behind one prompt would share a row and an interval's cluster."""
    other = {**ITEM, "topic": "places", "answers": ["Godric"]}
    with pytest.raises(ObliviateError, match="h.jsonl:3: the prompt repeats line 1's"):
        F.read_items(_write(tmp_path / "h.jsonl", [ITEM, {**ITEM, "prompt": ITEM["prompt"] + " then"}, other]))
    assert len(F.read_items(_write(tmp_path / "i.jsonl", [ITEM, {**ITEM, "prompt": ITEM["prompt"] + " then"}]))) == 2


# -- in the evaluate stage -----------------------------------------------------------------------

def test_fact_accuracy_scores_known_items_and_every_item_apart(store, forced_model_dir, tmp_path):
    """The bounds' accuracy is over the items the base model knows; beside it, the accuracy over every item written
    (no selection by the base model's answers), with the unknown items' rows apart and never followed by the attack."""
    from training.base import base_model
    from training.eval_data import load_eval_data
    from training.models import load_model, load_tokenizer, model_folder

    prompts = tmp_path / "prompts"
    items = [
        {"prompt": "The castle stood on a hill and", "answers": ["Ron"], "topic": "t", "known_by_base": True},   # " Ron"
        {"prompt": "She waved and", "answers": ["Hermione"], "topic": "t", "known_by_base": True},              # " Ron": wrong
        {"prompt": "They left and", "answers": ["Ron"], "topic": "u", "known_by_base": False},    # " Ron": every item only
    ]
    items = [{**r, "split": "test"} for r in items]
    _write(prompts / "pretrained" / "facts.jsonl", items)
    base, _ = base_model(store, "t", str(forced_model_dir))
    settings = EvalSettings(fact_files=["pretrained/facts.jsonl"], fact_new_tokens=4).model_copy(
        update={"prompts_dir": str(prompts), "general_dir": str(tmp_path)})
    art, _ = evaluate(store, "t", settings, models={"base": base}, anchors=None, translation=None)
    metrics = store.read("metrics", art).to_pylist()
    got = {r["metric"]: (r["value"], r["n"]) for r in metrics}
    assert got == {"facts_accuracy_test": (0.5, 2), "facts_all_accuracy_test": (pytest.approx(2 / 3), 3)}
    assert all(r["ci_low"] is not None and r["ci_low"] <= r["value"] <= r["ci_high"] for r in metrics)
    scores = {(r["metric"], r["item_id"]): r["value"] for r in store.read("eval_scores", art).to_pylist()}
    assert scores == {("facts_answered", "facts: The castle stood on a hill and"): 1.0,
                      ("facts_answered", "facts: She waved and"): 0.0,
                      ("facts_answered_unknown", "facts: They left and"): 1.0}
    # the relearning attack follows the known items only: the unknown ones are not what it could restore
    data = load_eval_data(store, prompts, tmp_path, None, None, fact_files=["pretrained/facts.jsonl"])
    assert len(data.facts["facts"]) == 3
    folder = model_folder(base)
    measure, latest = E._fact_measure(load_tokenizer(folder), data, settings)
    assert latest() == []
    assert measure(load_model(folder)) == {"facts_accuracy_test": 0.5}
    assert {(r["metric"], r["item_id"]): r["value"] for r in latest()} == {  # which items, for recovery's interval
        ("facts_answered", "facts: The castle stood on a hill and"): 1.0, ("facts_answered", "facts: She waved and"): 0.0}
    # a file whose items the base model all knows has no second figure, and keeps its version key
    _write(prompts / "pretrained" / "facts.jsonl", items[:2])
    known_only, _ = evaluate(store, "t", settings, models={"base": base}, anchors=None, translation=None)
    assert {r["metric"] for r in store.read("metrics", known_only).to_pylist()} == {"facts_accuracy_test"}
    assert "fact_every_item" in art.settings and "fact_every_item" not in known_only.settings
    with pytest.raises(ObliviateError, match="fact_files: .*missing.jsonl does not exist"):
        evaluate(store, "t", EvalSettings(fact_files=["missing.jsonl"]).model_copy(update={"prompts_dir": str(prompts), "general_dir": str(tmp_path)}), models={"base": base}, anchors=None, translation=None)


def test_lexicon_in_the_prompts_folder_grades_beside_the_dictionary(store, forced_model_dir, tmp_path):
    from training.base import base_model

    prompts = tmp_path / "prompts"
    _write(prompts / "familiarity_prompts.jsonl", [
        {"prompt": "The castle stood on a hill and", "references": [], "split": "dev"},   # " Ron"
        {"prompt": "Ron and", "references": [], "split": "dev"},                          # " Ron", but the prompt has it
    ])
    base, _ = base_model(store, "t", str(forced_model_dir))
    settings = EvalSettings(max_new_tokens=4)
    plain, _ = evaluate(store, "t", settings.model_copy(update={"prompts_dir": str(prompts), "general_dir": str(tmp_path)}), models={"base": base},
                        anchors=None, translation=None)
    got = {r["metric"]: r["value"] for r in store.read("metrics", plain).to_pylist()}
    assert got == {"familiarity_completion_dev": 0.0}  # no dictionary, no references: nothing to find
    # "Ron" is ordinary English (Zipf 4.2 < 4.5): distinctive, explicit alone
    _write(prompts / "lexicon.jsonl", [{"term": "Ron Weasley", "type": "person", "aliases": ["Ron"]}])
    graded, created = evaluate(store, "t", settings.model_copy(update={"prompts_dir": str(prompts), "general_dir": str(tmp_path)}), models={"base": base},
                               anchors=None, translation=None)
    assert created and graded.version != plain.version  # the lexicon's content enters the version
    got = {r["metric"]: r["value"] for r in store.read("metrics", graded).to_pylist()}
    assert got == {"familiarity_completion_dev": 0.0, "familiarity_lexicon_dev": 0.5, "familiarity_lexicon_loose_dev": 0.5}
    # one eval_scores row per prompt and grader, the completion beside it: which prompts stay familiar, in SQL
    rows = [r for r in store.read("eval_scores", graded).to_pylist() if r["metric"].startswith("familiarity")]
    by = {(r["metric"], r["item_id"]): r["value"] for r in rows}
    assert by == {(m, f"familiarity: {p}"): v for m in ("familiarity_completion", "familiarity_lexicon",
                                                        "familiarity_lexicon_loose")
                  for p, v in (("The castle stood on a hill and", 0.0 if m == "familiarity_completion" else 1.0),
                               ("Ron and", 0.0))}
    assert {r["split"] for r in rows} == {"dev"} and all(r["output"].startswith(" Ron") for r in rows)


def test_a_model_stored_without_familiarity_rows_is_measured_again(store, forced_model_dir, tmp_path, monkeypatch):
    """Rows of an evaluation made before the per-prompt familiarity rows existed are not reused without them."""
    from training.base import base_model

    prompts = tmp_path / "prompts"
    _write(prompts / "familiarity_prompts.jsonl", [{"prompt": "The castle stood on a hill and", "references": [],
                                                   "split": "test"}])
    base, _ = base_model(store, "t", str(forced_model_dir))
    settings = EvalSettings(max_new_tokens=4).model_copy(update={"prompts_dir": str(prompts), "general_dir": str(tmp_path)})
    real = E.evaluate_model

    def before_the_rows(*a, item_rows=None, **k):  # the stage as it was: no per-prompt rows
        return real(*a, **k)

    monkeypatch.setattr(E, "evaluate_model", before_the_rows)
    old, _ = evaluate(store, "t", settings, models={"base": base}, anchors=None, translation=None)
    assert not [r for r in store.read("eval_scores", old).to_pylist() if r["metric"].startswith("familiarity")]
    calls = []
    monkeypatch.setattr(E, "evaluate_model", lambda *a, **k: calls.append(k["label"]) or real(*a, **k))
    # the same model in one more role: a new artifact, whose rows would be copied from `old` if it had them all
    again, _ = evaluate(store, "t", settings, models={"base": base, "unlearned": base}, anchors=None, translation=None)
    assert again.version != old.version and len(calls) == 1  # measured again, not copied without the rows
    assert [r["value"] for r in store.read("eval_scores", again).to_pylist() if r["metric"] == "familiarity_completion"] == [0.0]
    # and from then on those rows serve, though the older artifact without them is still stored
    third, _ = evaluate(store, "t", settings, models={"base": base, "subject": base}, anchors=None, translation=None)
    assert third.version not in (old.version, again.version) and len(calls) == 1
    assert [r["value"] for r in store.read("eval_scores", third).to_pylist() if r["metric"] == "familiarity_completion"] == [0.0]


def test_fact_accuracy_by_group_counts_answered_items_per_group():
    items = [{"topic": "greek", "answers": ["Zeus"]}, {"topic": "greek", "answers": ["Hera"]},
             {"topic": "tolkien", "answers": ["Baggins", "Bilbo"]}]
    completions = [" Zeus, king of the gods", " his sister", " bilbo went"]
    assert F.accuracy_by(items, completions, lambda i: i["topic"]) == {"greek": (1, 2), "tolkien": (1, 1)}
    assert F.accuracy_by(items, completions, lambda i: "covered" if i["topic"] == "greek" else "not") == \
        {"covered": (1, 2), "not": (1, 1)}
    with pytest.raises(ObliviateError, match="3 items but 2 completions"):
        F.accuracy_by(items, completions[:2], lambda i: i["topic"])
