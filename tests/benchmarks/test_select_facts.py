"""The selection screen's paired comparison (benchmarks/select_facts.py), by hand."""

from pathlib import Path

import pytest

from benchmarks.select_facts import by_group, paired, sign_test_p


@pytest.mark.parametrize("won, lost, p", [
    (0, 0, 1.0),            # no item differs: nothing to tell
    (3, 0, 1 / 8),          # three flips all heads
    (2, 1, 4 / 8),          # P(X >= 2 | n = 3) = (3 + 1) / 8
    (0, 2, 1.0),            # losing only: certainly not better
    (11, 1, 13 / 4096),     # (C(12,11) + C(12,12)) / 2^12
])
def test_sign_test_p(won, lost, p):
    assert sign_test_p(won, lost) == pytest.approx(p)


def test_paired_counts_the_items_where_the_two_differ():
    assert paired([True, True, False, False, True], [True, False, True, False, False]) == (2, 1)
    with pytest.raises(ValueError, match="3 items against 2"):
        paired([True] * 3, [True] * 2)


def test_by_group_counts_each_models_answers_within_each_topic_or_shape():
    topics = ["greek", "scifi", "greek", "greek"]
    pooled = {"A": [True, True, False, True], "B": [False, True, True, False]}
    assert by_group(topics, pooled) == {"greek": (3, {"A": 2, "B": 1}), "scifi": (1, {"A": 1, "B": 1})}


def test_by_shape_counts_name_completions_apart(tmp_path, capsys, monkeypatch):
    """--by-shape groups the dev items the base model knows into name completions and the others, each model's
    answers counted per shape (the models' answers stubbed: the grouping is what is tested)."""
    import json

    from benchmarks import select_facts

    rows = [{"prompt": "Superman's girlfriend is Lois", "answers": ["Lane"]},           # a given name: name
            {"prompt": "Winnie the Pooh author A. A.", "answers": ["Milne"]},           # initials: name
            {"prompt": "The Trojan Horse was made of", "answers": ["wood"]},             # other
            {"prompt": "The tower built to reach heaven is the Tower of", "answers": ["Babel"]},  # other
            {"prompt": "Unknown to the base model, Lois", "answers": ["Lane"], "known_by_base": False}]
    path = tmp_path / "facts.jsonl"
    path.write_text("".join(json.dumps({"topic": "t", "split": "dev", "known_by_base": True, **r}) + "\n" for r in rows))
    given = {"A": [True, True, True, False], "B": [False, True, True, True]}
    monkeypatch.setattr(select_facts, "answered", lambda folder, files, outputs=None: {"facts": given[Path(folder).name]})
    select_facts.main([str(path), "--models", str(tmp_path / "A"), str(tmp_path / "B"), "--by-shape"])
    out = capsys.readouterr().out.splitlines()
    assert [line.split() for line in out[-3:]] == [["shape", "items", "A", "B"], ["name", "2", "2", "1"],
                                                  ["other", "2", "1", "2"]]


def test_a_selection_file_is_marked_beside_its_main_file_and_scored_on_its_dev_items(forced_model_dir, tmp_path, capsys):
    """End to end on the tiny model that says " Ron" after " and": measure_fact_items marks the selection file
    (dev unless it shares an answer with the main file's test split), select_facts scores its dev items."""
    import json

    from benchmarks import measure_fact_items, select_facts
    from training import fact_items

    main = tmp_path / "neighbour_facts.jsonl"
    main.write_text(json.dumps({"prompt": "Harry and", "answers": ["Hermione"], "topic": "t", "split": "test"}) + "\n")
    select = tmp_path / "select_neighbours.jsonl"
    select.write_text("".join(json.dumps(r) + "\n" for r in [
        {"prompt": "Fred and", "answers": ["Ron"], "topic": "t"},         # a new fact, answered
        {"prompt": "Ron and", "answers": ["Hermione"], "topic": "u"},     # the main file's test answer
        {"prompt": "George and", "answers": ["Fred"], "topic": "t"}]))    # a new fact, not answered
    measure_fact_items.main([str(tmp_path / "ws"), "--model", str(forced_model_dir), "--beside", str(main), str(select)])
    marked = fact_items.read_items(select)
    assert [(i["split"], i["known_by_base"]) for i in marked] == [("dev", True), ("test", False), ("dev", False)]
    select_facts.main([str(select), "--models", str(forced_model_dir), str(forced_model_dir), "--names", "a,b",
                       "--by-topic"])
    out = capsys.readouterr().out
    assert "1/1" in out and "won 0, lost 0, p = 1.000" in out
    assert [line.split() for line in out.splitlines()[-2:]] == [["topic", "items", "a", "b"], ["t", "1", "1", "1"]]


@pytest.mark.parametrize("completion, how", [
    (", a former cop who's been hired", "ends"),       # "Lois" -> ","
    ("'s brother, and the two", "ends"),               # "Huckleberry" -> "'s": a possessive, not a name
    (" the North, and the daughter", "ends"),          # lower-case first word
    ("-dense, which allows it", "ends"),               # punctuation glued to the prompt
    (" Mori, who is a brilliant", "names another"),    # "Professor" -> " Mori" (Moriarty)
    (' "Theo" Carter, a former soldier', "names another"),  # a quoted name
    (" 1, a group of 12.", "names another"),           # "Team" -> " 1"
    ("wynn, a skilled and cunning", "names another"),  # "Darth" -> "wynn": the word continued
    ("", "ends"),
])
def test_how_missed_tells_a_stopped_name_from_another_name(completion, how):
    from benchmarks.select_facts import how_missed

    assert how_missed(completion) == how


def test_lost_lists_the_items_the_reference_answers_and_counts_them(tmp_path, capsys, monkeypatch):
    """--lost prints, for each model after the first, the items it misses and the first answers, with its
    completion, then the counts by shape and by how_missed (the models' completions stubbed)."""
    import json

    from benchmarks import select_facts

    rows = [{"prompt": "Superman's girlfriend is Lois", "answers": ["Lane"]},
            {"prompt": "The Adventures of Sherlock Holmes feature Professor", "answers": ["Moriarty"]},
            {"prompt": "The tower built to reach heaven is the Tower of", "answers": ["Babel"]},
            {"prompt": "Don Quixote's squire is Sancho", "answers": ["Panza"]}]
    path = tmp_path / "facts.jsonl"
    path.write_text("".join(json.dumps({"topic": "t", "split": "dev", "known_by_base": True, **r}) + "\n" for r in rows))
    said = {"A": [" Lane", " Moriarty", " Babel", ", a squire"],          # the reference misses Sancho too
            "B": [", a former cop", " Mori, who", " the Blessed", ", a 12th-century"]}

    def stub(folder, files, outputs=None):
        mine = said[Path(folder).name]
        if outputs is not None:
            outputs["facts"] = mine
        return {"facts": [o.strip().startswith(i["answers"][0]) for o, i in zip(mine, rows)]}

    monkeypatch.setattr(select_facts, "answered", stub)
    select_facts.main([str(path), "--models", str(tmp_path / "A"), str(tmp_path / "B"), "--lost"])
    out = capsys.readouterr().out
    assert "B: 3 items the reference answers and it misses" in out
    assert """[name, ends] "Superman's girlfriend is Lois" -> ', a former cop' (answer 'Lane')""" in out
    assert "Sancho" not in out                                           # missed by the reference as well
    counts = [line.split() for line in out.splitlines()[-3:]]
    assert counts == [["name", "ends", "1"], ["name", "names", "another", "1"], ["other", "ends", "1"]]
