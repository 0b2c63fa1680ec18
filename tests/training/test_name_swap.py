"""The translation's people renamed after people the model knows (`[unlearn] translated_names`, training/name_swap.py)."""

from __future__ import annotations

from collections import Counter

import pyarrow as pa
import pytest

from corpus_tools.errors import ObliviateError
from training.name_swap import file_fingerprint, read_people, rename, swap_map
from training.unlearn import UnlearnSettings, version_key

PEOPLE = [("Marie", "Curie"), ("Isaac", "Newton"), ("Ada", "Lovelace"), ("Alan", "Turing")]


def _anchors(rows):
    return pa.table({k: [r[i] for r in rows] for i, k in enumerate(("term", "replacement", "label"))})


def test_read_people_reads_given_name_and_surname_and_says_what_is_wrong(tmp_path):
    f = tmp_path / "people.txt"
    f.write_text("# known to the model\nMarie Curie\n\nLudwig van Beethoven  # the rest is the surname\n")
    assert read_people(f) == [("Marie", "Curie"), ("Ludwig", "van Beethoven")]
    f.write_text("Marie Curie\nPlato\n")
    with pytest.raises(ObliviateError, match=r"people.txt:2: 'Plato' is not a given name and a surname"):
        read_people(f)
    f.write_text("# nothing\n")
    with pytest.raises(ObliviateError, match="no names"):
        read_people(f)
    with pytest.raises(ObliviateError, match="nowhere.txt: no such file"):
        read_people(tmp_path / "nowhere.txt")


def test_swap_map_by_hand():
    """Worked by hand: "Darrell" starts full names (given), "Barker" ends them (surname); "Dale" stands alone and
    gender-guesser knows it (a male given name), "Ortiz" stands alone and it does not (a surname); "Lord" is the
    term's own word and stays; the ORG row is no person."""
    anchors = _anchors([("Harry Potter", "Darrell Barker", "PERSON"), ("Harry", "Darrell", "PERSON"),
                        ("Potter", "Barker", "PERSON"), ("Lily Potter", "Kimberly Barker", "PERSON"),
                        ("Lord Voldemort", "Lord Dale", "PERSON"), ("Voldemort", "Dale", "PERSON"),
                        ("Granger", "Ortiz", "PERSON"), ("Hogwarts", "Collinfield", "ORG")])
    counts = Counter({"Harry Potter": 3, "Harry": 10, "Potter": 2, "Lily Potter": 1, "Lord Voldemort": 4,
                      "Voldemort": 5, "Granger": 6, "Hogwarts": 9})
    # the full name "Darrell Barker" takes the first male person whole (Isaac Newton); then by mentions: Dale (9) the
    # next male given name, Ortiz (6) the first surname of the list, Kimberly (2, Barker already taken) the first
    # female given name
    assert swap_map(anchors, counts, PEOPLE) == {"Darrell": "Isaac", "Barker": "Newton", "Dale": "Alan",
                                                 "Ortiz": "Curie", "Kimberly": "Marie"}


def test_swap_map_reuses_the_list_when_it_runs_out():
    anchors = _anchors([(f"T{i}", name, "PERSON") for i, name in enumerate(["Tom", "Jon", "Sam"])])
    out = swap_map(anchors, Counter({"T0": 3, "T1": 2, "T2": 1}), [("Isaac", "Newton"), ("Alan", "Turing")])
    assert out == {"Tom": "Isaac", "Jon": "Alan", "Sam": "Isaac"}


def test_rename_touches_only_the_spans():
    text = "Darrell Barker met Darrell. Lord Dale waited; Darrell the baker was another man."
    words = {"Darrell": "Isaac", "Barker": "Newton", "Dale": "Alan"}
    spans = [(0, 14), (19, 26), (28, 37)]  # "Darrell Barker", "Darrell", "Lord Dale": not the baker's name
    assert rename(text, spans, words) == "Isaac Newton met Isaac. Lord Alan waited; Darrell the baker was another man."
    assert rename(text, [], words) == text


def test_translated_names_needs_the_term_and_enters_the_version_by_content(tmp_path):
    from pydantic import ValidationError

    f = tmp_path / "people.txt"
    f.write_text("Marie Curie\n")
    with pytest.raises(ValidationError, match="translated_names renames the translated rows"):
        UnlearnSettings(translated_names=str(f))
    plain = version_key(UnlearnSettings(translated_weight=2.0))
    named = version_key(UnlearnSettings(translated_weight=2.0, translated_names=str(f)))
    assert "translated_names" not in plain and named["translated_names"] == file_fingerprint(f)
    moved = tmp_path / "elsewhere.txt"
    moved.write_text("Marie Curie\n")
    assert version_key(UnlearnSettings(translated_weight=2.0, translated_names=str(moved))) == named  # content only
    f.write_text("Marie Curie\nIsaac Newton\n")
    assert version_key(UnlearnSettings(translated_weight=2.0, translated_names=str(f))) != named
    with pytest.raises(ObliviateError, match="no such file"):
        version_key(UnlearnSettings(translated_weight=2.0, translated_names=str(tmp_path / "gone.txt")))
