"""Term normalisation, sub-key rules, alias clusters, name roles and overrides files."""

from __future__ import annotations

import pytest

from anchors.aliases import clusters, name_roles, subkey_rejections
from anchors.gender import is_known_name
from anchors.overrides import KEEP, load_overrides, overrides_hash
from anchors.terms import normalize
from anchors.wordmap import replace_term
from corpus_tools.errors import ObliviateError


@pytest.mark.parametrize("mention, term", [
    ("Professor Snape", "Snape"), ("Mr. Potter's", "Potter"), ("the Ministry of Magic", "Ministry of Magic"),
    ("Aunt Petunia", "Petunia"), ("Lord Voldemort", "Voldemort"), ("Madam Pomfrey", "Pomfrey"),
    ("the Dursleys'", "Dursleys"), ("Harry\n Potter", "Harry Potter"), ("Professor", ""), ("**Hogwarts**", "Hogwarts"),
])
def test_titles_articles_and_possessives_stay_outside(mention, term):
    assert normalize(mention) == term


def test_subkey_rules():
    keys = {"Harry", "Potter", "Harry Potter", "Potter's", "Ministry of Magic", "Ministry",
            "Deathly Hallows", "Deathly Hallows Harry", "Tom Riddle"}
    out = subkey_rejections(keys)
    assert set(out) == {"Harry Potter", "Potter's", "Deathly Hallows Harry"}
    assert out["Harry Potter"] == "sub-key rule: made only of keys 'Harry' + 'Potter'"
    assert out["Potter's"] == "sub-key rule: possessive of key 'Potter'"
    assert "'Deathly Hallows' + 'Harry'" in out["Deathly Hallows Harry"]


def test_alias_clusters_join_families_not_topics():
    counts = {"Harry": 50, "Harry Potter": 10, "Potter": 5, "Potters": 2, "Lily Potter": 3, "Ron": 30,
              "Ron Weasley": 8, "Ginny Weasley": 4, "Weasley": 6, "Quidditch": 9, "Quidditch Cup": 2,
              "Gryffindor": 7, "Gryffindor Quidditch Team": 1}
    people = {"Harry", "Harry Potter", "Potter", "Lily Potter", "Ron", "Ron Weasley", "Ginny Weasley", "Weasley"}
    c = clusters(counts, people)
    assert c["Harry Potter"] == c["Potter"] == c["Potters"] == c["Lily Potter"] == c["Harry"] == "Harry"
    assert c["Ron Weasley"] == c["Ginny Weasley"] == c["Weasley"] == "Ron"
    assert c["Quidditch Cup"] == "Quidditch"
    # a phrase with two topics joins the first one without merging the two clusters
    assert c["Gryffindor Quidditch Team"] == "Gryffindor" and c["Quidditch"] == "Quidditch"


def test_name_roles_and_consistent_family_of_replacements():
    roles = name_roles({"Harry Potter", "Tom Marvolo Riddle", "Harry", "Hagrid"}, is_known_name)
    assert roles == {"Harry": "given", "Potter": "surname", "Tom": "given", "Marvolo": "given",
                     "Riddle": "surname", "Hagrid": "surname"}
    mapping = {"Harry": "Jon", "Potter": "Huggins"}
    assert [replace_term(t, mapping) for t in ("Harry Potter", "Harry", "Potter", "Potters", "Potter's Field")] == \
        ["Jon Huggins", "Jon", "Huggins", "Hugginses", "Huggins's Field"]


def test_overrides_toml_and_csv(tmp_path):
    toml = tmp_path / "o.toml"
    toml.write_text('Hermione = "Sophie"\n[places]\n"Diagon Alley" = "Market Lane"\nLondon = "KEEP"\n')
    assert load_overrides(toml) == {"Hermione": "Sophie", "Diagon Alley": "Market Lane", "London": KEEP}
    csv = tmp_path / "o.csv"
    csv.write_text('term,replacement\nHermione,Sophie\n"Diagon Alley",Market Lane\nLondon,keep\n')
    assert load_overrides(csv) == load_overrides(toml)
    assert overrides_hash(toml) != overrides_hash(csv) and len(overrides_hash(toml)) == 16


@pytest.mark.parametrize("name, text, message", [
    ("bad.toml", "Harry = 3\n", "must be a string"),
    ("bad.csv", "a,b,c\n", "expected term,replacement"),
    ("bad.txt", "x", "expected a .toml or .csv"),
    ("twice.csv", "Harry,Jon\nHarry,Tim\n", "given twice"),
])
def test_bad_overrides_name_the_file(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ObliviateError, match=message):
        load_overrides(path)
    with pytest.raises(ObliviateError, match="does not exist"):
        load_overrides(tmp_path / "missing.toml")
