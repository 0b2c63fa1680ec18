"""The lexicon grader on a small hand-written lexicon (tests/training/fixtures/lexicon_small.jsonl)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpus_tools.errors import ObliviateError
from training.lexicon import Lexicon, find_lexicon, is_ambiguous, is_ordinary

FIXTURE = Path(__file__).parent / "fixtures" / "lexicon_small.jsonl"


@pytest.fixture(scope="module")
def lex() -> Lexicon:
    return Lexicon.load(FIXTURE)


@pytest.mark.parametrize("form, ambiguous, ordinary", [
    ("James", True, True),               # Zipf 5.1
    ("Black", True, True),               # 5.5
    ("Bill", True, True),                # 5.2
    ("Harry", True, True),               # 4.7: a common first name too
    ("Professor Black", True, True),     # the title is set aside
    ("the Ministry", True, True),
    ("Hermione", False, False),          # 3.3
    ("Hogwarts", False, False),
    ("Miss Granger", False, False),
    ("Sirius Black", False, False),      # one rare word is enough
    ("Harry Potter", False, False),      # Potter 4.1
    ("Great Hall", False, True),         # a coined name of ordinary words: counts alone, as written
    ("Ministry of Magic", False, True),
    ("Tom Wood", False, True),
])
def test_which_forms_are_ambiguous_or_ordinary(form, ambiguous, ordinary):
    assert is_ambiguous(form) is ambiguous and is_ordinary(form) is ordinary


@pytest.mark.parametrize("prompt, completion, label", [
    ("Her best friend was", " Hermione, of course.", "explicit"),
    ("Her best friend was", " hermione, of course.", "explicit"),          # distinctive: any case
    ("Hermione smiled at", " Hermione's brother.", "none"),                # the prompt already names her
    ("The headmaster was called", " James Blackstone.", "thematic"),       # "James" alone; Blackstone is not Black
    ("The brothers were", " Bill and George.", "explicit"),                # two ambiguous forms together
    ("The brothers were", " George and George.", "thematic"),              # the same form twice is still one
    ("The twins were", " Fred and his brother.", "explicit"),               # Fred (Zipf 4.2) is distinctive
    ("The sky was", " black and grey.", "none"),                           # ambiguous forms only as written
    ("Sirius Black was his", " godfather, Black by name.", "none"),         # "Black" is inside a prompt form
    ("They played", " Quidditch at Hogwarts.", "explicit"),
    ("The Weasleys came", " home late.", "none"),
    ("He saw the", " Weasleys at the station.", "explicit"),                # plural of a distinctive form
    ("The feast was in the", " Great Hall.", "explicit"),                  # a coined name of ordinary words
    ("The feast was in the", " great hall.", "none"),                      # ...only as written
    ("His teacher was Professor", " McGonagall.", "explicit"),
    ("His teacher was Professor McGonagall, whose first name is", " Minerva.", "explicit"),
    ("", "", "none"),
])
def test_grades(lex, prompt, completion, label):
    assert lex(prompt, completion) == label


def test_longest_form_wins(lex):
    g = lex.grade("The school is", " Hogwarts School of Witchcraft and Wizardry")
    assert g.distinctive == ["Hogwarts School of Witchcraft and Wizardry"] and g.ambiguous == []
    g = lex.grade("His godfather was", " Sirius Black, and Bill")
    assert g.distinctive == ["Sirius Black"] and g.ambiguous == ["Bill"] and g.explicit


def test_name_carries_the_file_hash(lex, tmp_path):
    other = tmp_path / "lexicon.jsonl"
    other.write_text(FIXTURE.read_text() + json.dumps({"term": "Dobby", "type": "creature", "aliases": []}) + "\n")
    assert lex.__name__.startswith("lexicon-") and Lexicon.load(other).__name__ != lex.__name__
    assert Lexicon.load(other)("The elf was", " Dobby.") == "explicit"


@pytest.mark.parametrize("line, message", [
    ('{"type": "person"}', "'term' must be a non-empty string"),
    ('{"term": "X", "type": "wizard"}', "type 'wizard' is not one of"),
    ('{"term": "X", "aliases": "Y"}', "'aliases' must be a list of strings"),
    ('{"term": ', "invalid JSON"),
])
def test_bad_lines_name_the_line(tmp_path, line, message):
    path = tmp_path / "lexicon.jsonl"
    path.write_text('{"term": "Hogwarts", "type": "place"}\n' + line + "\n")
    with pytest.raises(ObliviateError, match=f"lexicon.jsonl:2: {message}"):
        Lexicon.load(path)


def test_us_spelling_of_organisation_is_accepted(tmp_path):
    path = tmp_path / "lexicon.jsonl"
    path.write_text('{"term": "Ministry of Magic", "type": "organization", "aliases": ["the Ministry"]}\n')
    lex = Lexicon.load(path)
    assert lex.entries[0]["type"] == "organisation"
    assert lex("He worked for", " the Ministry of Magic") == "explicit"
    assert lex("He worked for", " the Ministry") == "thematic"  # "Ministry" alone is ordinary English


def test_find_lexicon(tmp_path):
    (tmp_path / "a").mkdir()
    assert find_lexicon(tmp_path / "a", tmp_path) is None
    (tmp_path / "lexicon.jsonl").write_text("")
    assert find_lexicon(tmp_path / "a", tmp_path) == tmp_path / "lexicon.jsonl"
