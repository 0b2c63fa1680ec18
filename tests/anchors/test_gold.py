"""Gold annotations and the scorer (anchors/gold.py); the held-out sea-faring collection scored end to end."""

from __future__ import annotations

import json
import urllib.error
from pathlib import Path

import pytest

from anchors.gold import GoldTerm, anchored, load_gold, occurrences, score
from corpus_tools.errors import ObliviateError
from tests.anchors.versions import rule_settings

ROOT = Path(__file__).resolve().parents[2]
GOLD = {"tidewright": ROOT / "data/gold/tidewright/gold.jsonl", "emberfall": ROOT / "data/gold/emberfall/gold.jsonl", "austen": ROOT / "data/gold/austen/gold.jsonl",
        "hp": ROOT / "data/targets/harry_potter/lexicon.jsonl"}


def assert_scores(store, corpus: str, runs, fields=("recall", "type_accuracy", "gender_accuracy", "forbidden_anchored")):
    """Each (version, want) of `runs` scores `want` on `corpus`: `fields` of the gold check, a list by its length."""
    from benchmarks.gold_check import evaluate

    for version, want in runs:
        found = evaluate(store, corpus, None if version is None else rule_settings(version))
        got = tuple(len(found[f]) if isinstance(found[f], list) else found[f] for f in fields)
        assert got == pytest.approx(want, abs=0.001), (version, found)


def test_gold_files_load_and_follow_the_line_format():
    for name, path in GOLD.items():
        gold = load_gold(path)
        assert len(gold) >= 50, name
        assert all((g.gender is not None) == (g.type == "person") for g in gold), name
    hp = [json.loads(line) for line in GOLD["hp"].read_text().splitlines()]
    assert all(set(r) == {"term", "type", "gender", "must_anchor", "aliases"} for r in hp)
    aliases = {a for r in hp for a in r["aliases"]}
    assert {"Arthur", "George", "James", "Bill", "Charlie", "Peter", "Black", "Hermione", "Granger"} <= aliases


def test_austen_gold_is_the_recurring_list_with_types():
    from benchmarks.books import NOT_ANCHORS, RECURRING

    gold = {g.term: g for g in load_gold(GOLD["austen"])}
    assert {t for t, g in gold.items() if g.must_anchor} == set(RECURRING)
    assert {t for t, g in gold.items() if not g.must_anchor} == set(NOT_ANCHORS)
    assert gold["Elizabeth"].gender == "female" and gold["Pemberley"].type == "place"


def test_tidewright_gold_terms_occur_in_their_corpus():
    texts = [p.read_text() for p in sorted((ROOT / "data/gold/tidewright/corpus").glob("*.md"))]
    assert sum(len(t.split()) for t in texts) >= 5000
    counts = occurrences(texts, load_gold(GOLD["tidewright"]))
    assert all(counts[g.term] >= 2 for g in load_gold(GOLD["tidewright"]) if g.must_anchor)


@pytest.mark.parametrize("line, message", [
    ('{"term": "X", "type": "ship", "gender": null, "must_anchor": true}', "type 'ship'"),
    ('{"term": "X", "type": "person", "gender": null, "must_anchor": true}', "gender None"),
    ('{"term": "X", "type": "place", "gender": null}', "must_anchor"),
    ('not json', "invalid JSON"),
])
def test_bad_gold_lines_name_the_line(tmp_path, line, message):
    path = tmp_path / "g.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(ObliviateError, match=message):
        load_gold(path)


def test_score_by_hand():
    gold = [GoldTerm("Oriel Vantreck", "person", "female", True, ("Oriel",)),
            GoldTerm("Tallow Quay", "place", None, True),
            GoldTerm("Corrowen", "place", None, True),
            GoldTerm("Lisbon", "place", None, False)]
    dictionary = [{"term": "Oriel", "replacement": "Sophie", "label": "PERSON"},
                  {"term": "Vantreck", "replacement": "Nelson", "label": "PERSON"},
                  {"term": "Tallow Quay", "replacement": "Ashby Quay", "label": "ORG"},
                  {"term": "Lisbon", "replacement": "Hensleton", "label": "GPE"}]
    texts = ["Oriel Vantreck walked to Tallow Quay. Oriel said she was cold. She left for Corrowen and Corrowen "
             "was dark. Oriel knew she was late at Tallow Quay. From Lisbon came the ships; Lisbon slept."]
    translated = [texts[0].replace("Oriel", "Sophie").replace("Vantreck", "Nelson").replace("Tallow Quay", "Ashby Quay")]
    out = score(dictionary, dictionary, gold, texts, translated)
    assert anchored("Oriel Vantreck", {"Oriel", "Vantreck"}) and not anchored("Corrowen", {"Oriel"})
    assert out["recall"] == round(2 / 3, 3) and out["missed"] == ["Corrowen"]
    assert out["precision"] == round(3 / 4, 3) and out["forbidden_anchored"] == ["Lisbon"]
    assert out["ordinary_anchored"] == ["Lisbon"]  # a real place; a must-not invented word would not be
    assert out["type_accuracy"] == 0.5 and out["wrong_type"] == ["Tallow Quay: place as ORG"]
    assert out["gender_accuracy"] == 1.0 and out["n_gendered"] == 1
    # must-anchor occurrences: Oriel Vantreck 1 + Oriel 2 + Tallow Quay 2 + Corrowen 2 = 7; Corrowen's 2 are left
    assert out["must_occurrences"] == 7 and out["left_share"] == round(2 / 7, 3)


@pytest.mark.e2e
def test_sea_stories_meet_the_targets(store):
    """Tidewright was held out for v3 and tuned on for v4 (docs/anchors_gold.md has both scores)."""
    from benchmarks.gold_check import evaluate

    found = evaluate(store, "tidewright")
    assert found["recall"] >= 0.9 and found["gender_accuracy"] >= 0.9, found
    assert found["type_accuracy"] >= 0.9 and found["left_share"] <= 0.04, found
    assert len(found["forbidden_anchored"]) <= 1, found  # "Harbourmaster": a role noun used mostly as "the ..."
    before = evaluate(store, "tidewright", {"decision": "decide_v3", "names": "names_v3"})
    assert len(before["forbidden_anchored"]) == 6 and before["type_accuracy"] < 0.9


@pytest.mark.e2e
def test_mining_stories_written_blind_improve_on_v3(store):
    """Emberfall was written by someone who never saw the anchors code and scored first with v3, then in
    aggregate with v4 to v7; opened as a development set for v8."""
    from benchmarks.gold_check import evaluate

    found = evaluate(store, "emberfall")
    before = evaluate(store, "emberfall", {"decision": "decide_v3", "names": "names_v3"})
    assert found["recall"] >= 0.9 and found["gender_accuracy"] >= 0.95, found  # v5: 0.909, v6: 1.0 (11 people)
    assert len(found["forbidden_anchored"]) < len(before["forbidden_anchored"]), (found, before)
    assert found["type_accuracy"] > before["type_accuracy"] and found["precision"] > before["precision"]


@pytest.mark.e2e
def test_desert_stories_tuned_on_for_v5(store):
    """Saltroad (written blind by a helper, then tuned on for v5): families, landform places, lone pronouns."""
    from benchmarks.gold_check import evaluate

    # v13: v14 anchors "the Sisters of the Still Well" too, typed object where the gold says organisation (0.943)
    found = evaluate(store, "saltroad", {"decision": "decide_v13", "names": "names_v13"})
    before = evaluate(store, "saltroad", {"decision": "decide_v4", "names": "names_v4"})
    assert found["type_accuracy"] >= 0.95 > before["type_accuracy"], (found, before)
    assert found["recall"] >= 0.89 and found["gender_accuracy"] >= 0.9 and len(found["forbidden_anchored"]) <= 3, found


@pytest.mark.e2e
def test_orbital_stories_written_blind_for_v5(store):
    """Farreach was written blind and scored only in aggregate, with v4 to v7; opened as a development set
    for v8 (with Emberfall), when two new blind sets were written (below)."""
    from benchmarks.gold_check import evaluate

    found = evaluate(store, "farreach")
    before = evaluate(store, "farreach", {"decision": "decide_v4", "names": "names_v4"})
    assert found["recall"] >= 0.9 and found["precision"] >= 0.95, found
    assert found["type_accuracy"] > before["type_accuracy"] + 0.05, (found, before)
    assert found["type_accuracy"] >= 0.9, found  # v7: 0.821; v8's festival, event and organisation heads: 0.949


@pytest.mark.e2e
@pytest.mark.parametrize("corpus, v7_type, v8_type", [("brackenfold", 0.811, 0.865), ("gildport", 0.872, 0.846)])
def test_stories_written_blind_for_v8(store, corpus, v7_type, v8_type):
    """Brackenfold (highland valley) and Gildport (port-city noir) were written blind by helpers while v8 was
    made on Farreach and Emberfall, and scored once each with v7 and v8, in aggregate only. Neither meets the
    0.90 type target; v8 wins on one and loses one term on the other (docs/anchors_gold.md)."""
    from benchmarks.gold_check import evaluate

    found = evaluate(store, corpus, {"decision": "decide_v8", "names": "names_v8"})
    before = evaluate(store, corpus, {"decision": "decide_v7", "names": "names_v7"})
    assert found["type_accuracy"] == pytest.approx(v8_type, abs=0.001), found
    assert before["type_accuracy"] == pytest.approx(v7_type, abs=0.001), before
    assert found["recall"] >= 0.88 and found["precision"] >= 0.92 and found["gender_accuracy"] >= 0.9, found
    assert len(found["forbidden_anchored"]) <= len(before["forbidden_anchored"]), (found, before)


@pytest.mark.e2e
@pytest.mark.parametrize("corpus, v8_type, v9_type, v9_forbidden", [
    ("vellmarch", 0.857, 0.886, 3), ("ashcombe", 0.943, 0.971, 2), ("carrowby", 0.892, 0.892, 4), ("oarsmen", 0.795, 0.821, 4)])
def test_stories_written_blind_for_v9(store, corpus, v8_type, v9_type, v9_forbidden):
    """Vellmarch (letters of an expedition) and Ashcombe (court intrigue) were written blind while v9 was made
    on Brackenfold and Gildport, scored once with a v9 draft in aggregate, then opened; Carrowby (a circus
    troupe) and Oarsmen (an island myth) were written blind after that and scored once each with v8 and v9,
    in aggregate only. v9 types better on three of the four and anchors no more ordinary words on any; the
    0.90 type target is met on Ashcombe only (docs/anchors_gold.md). Carrowby's types read 0.865 until the
    scorer looked up "The Salt Bride" by its key without the article (v10's session): 0.892 for v8 and v9."""
    from benchmarks.gold_check import evaluate

    found = evaluate(store, corpus, {"decision": "decide_v9", "names": "names_v9"})
    before = evaluate(store, corpus, {"decision": "decide_v8", "names": "names_v8"})
    assert found["type_accuracy"] == pytest.approx(v9_type, abs=0.001), found
    assert before["type_accuracy"] == pytest.approx(v8_type, abs=0.001), before
    assert len(found["forbidden_anchored"]) == v9_forbidden <= len(before["forbidden_anchored"]), (found, before)
    assert found["recall"] >= before["recall"] and found["precision"] >= before["precision"], (found, before)


@pytest.mark.e2e
@pytest.mark.parametrize("corpus, v9, v10", [
    ("carrowby", (0.892, 4, 0.101), (0.892, 2, 0.033)), ("oarsmen", (0.821, 4, 0.060), (0.846, 3, 0.060))])
def test_blind_stories_opened_for_v10(store, corpus, v9, v10):
    """Carrowby and Oarsmen, written blind for v9 and scored so, were opened as development sets for v10: an
    invented rank ("the Thalarch"), a city spelled like a given name ("Vienna"), a surname like a role ("Mr
    Fenwright", which v9 read as a title and left in the text 25 times), a patronymic ("son of Halbran").
    (type accuracy, ordinary words anchored, share of must-anchor occurrences left) for each version."""
    from benchmarks.gold_check import evaluate

    for settings, (type_accuracy, forbidden, left) in (({"decision": "decide_v9", "names": "names_v9"}, v9),
                                                       ({"decision": "decide_v10", "names": "names_v10"}, v10)):
        found = evaluate(store, corpus, settings)
        assert found["type_accuracy"] == pytest.approx(type_accuracy, abs=0.001), found
        assert len(found["forbidden_anchored"]) == forbidden and found["left_share"] == pytest.approx(left, abs=0.001), found


@pytest.mark.e2e
@pytest.mark.parametrize("corpus, v9_v10", [("dustwater", (0.918, 0.872, 1.0, 2)), ("hollowmere", (0.953, 0.892, 0.889, 0))])
def test_stories_written_blind_for_v10(store, corpus, v9_v10):
    """Dustwater (a frontier western) and Hollowmere (a folk-tale cycle) were written blind by helpers while
    v10 was made, and scored once each with the final v9 and v10, in aggregate only: both versions give the
    same (recall, type accuracy, gender accuracy, ordinary words anchored). Neither meets the 0.90 type
    target; Hollowmere misses one gender of nine, Dustwater anchors two ordinary words (docs/anchors_gold.md)."""
    from benchmarks.gold_check import evaluate

    for settings in ({"decision": "decide_v9", "names": "names_v9"}, {"decision": "decide_v10", "names": "names_v10"}):
        found = evaluate(store, corpus, settings)
        got = (found["recall"], found["type_accuracy"], found["gender_accuracy"], len(found["forbidden_anchored"]))
        assert got == pytest.approx(v9_v10, abs=0.001), found


@pytest.mark.e2e
@pytest.mark.parametrize("corpus, v10, v11", [
    ("dustwater", (0.918, 0.872, 2), (0.939, 0.975, 1)), ("hollowmere", (0.953, 0.892, 0), (0.953, 0.919, 0))])
def test_blind_stories_opened_for_v11(store, corpus, v10, v11):
    """Dustwater and Hollowmere, written blind for v10, were opened for v11: a heading's last word read as a
    rank before the next line's name ("# The Sevenbar"), "the Long Flood" typed by its given-name-like
    "Long", territories, associations and railways without a head word, "San Francisco" typed person.
    (recall, type accuracy, ordinary words anchored) for each version."""
    from benchmarks.gold_check import evaluate

    for settings, want in (({"decision": "decide_v10", "names": "names_v10"}, v10),
                           ({"decision": "decide_v11", "names": "names_v11"}, v11)):
        found = evaluate(store, corpus, settings)
        got = (found["recall"], found["type_accuracy"], len(found["forbidden_anchored"]))
        assert got == pytest.approx(want, abs=0.001), found


@pytest.mark.e2e
@pytest.mark.parametrize("corpus, v10_v11", [("greyfriars_vale", (0.900, 0.860, 1.0, 3)),
                                             ("starwake", (0.870, 0.784, 0.75, 0))])
def test_stories_written_blind_for_v11(store, corpus, v10_v11):
    """Greyfriars Vale (a monastery mystery) and Starwake (a space opera) were written blind by helpers while
    v11 was made, and scored once each with the final v10 and v11, in aggregate only: as for v10, both
    versions give the same (recall, type accuracy, gender accuracy, ordinary words anchored), and neither
    corpus meets the 0.90 type target (docs/anchors_gold.md)."""
    from benchmarks.gold_check import evaluate

    for settings in ({"decision": "decide_v10", "names": "names_v10"}, {"decision": "decide_v11", "names": "names_v11"}):
        found = evaluate(store, corpus, settings)
        got = (found["recall"], found["type_accuracy"], found["gender_accuracy"], len(found["forbidden_anchored"]))
        assert got == pytest.approx(v10_v11, abs=0.001), found


@pytest.mark.e2e
@pytest.mark.parametrize("corpus, v11, v12", [
    ("starwake", (0.870, 0.784, 0.75, 0), (0.870, 0.838, 0.75, 0)),
    ("greyfriars_vale", (0.900, 0.860, 1.0, 3), (0.900, 0.860, 1.0, 2)),
    ("vellmarch", (0.950, 0.886, 0.857, 3), (0.950, 0.943, 0.857, 3))])
def test_stories_opened_for_v12(store, corpus, v11, v12):
    """v12 was made on the wrong types every corpus shared (ships typed places, inns typed by their head word,
    works typed people) and on the genders of names that take no subject pronoun: Starwake and Greyfriars
    Vale, written blind for v11, were opened for it (Vellmarch, a development set since v9, is the largest
    type gain). (recall, type accuracy, gender accuracy, must-not terms anchored) for each version."""
    assert_scores(store, corpus, ((11, v11), (12, v12)))


@pytest.mark.e2e
@pytest.mark.parametrize("corpus, v11, v12", [
    ("rimewater", (0.850, 0.906, 0.875, 1), (0.850, 0.938, 0.875, 1)),
    ("lanternmere", (0.833, 0.941, 0.929, 0), (0.833, 1.0, 0.929, 0))])
def test_stories_written_blind_for_v12(store, corpus, v11, v12):
    """Rimewater (a whaling station) and Lanternmere (a canal city) were written blind by helpers while v12 was
    made, and scored once each with the final v11 and v12, in aggregate only: the first blind corpora on which
    a new version gains (type accuracy), and the first invented corpus written blind with type and gender
    accuracy >= 0.90 and no ordinary word anchored (Lanternmere), whose recall (0.833) misses the 0.90 target
    (docs/anchors_gold.md)."""
    assert_scores(store, corpus, ((11, v11), (12, v12)))


@pytest.mark.e2e
@pytest.mark.parametrize("corpus, v12, v13", [
    ("rimewater", (0.850, 0.938, 1, 1), (0.875, 0.939, 1, 1)), ("lanternmere", (0.833, 1.0, 0, 0), (0.881, 1.0, 0, 0)),
    ("emberfall", (0.971, 0.939, 2, 2), (0.971, 0.939, 3, 2))])
def test_stories_opened_for_v13(store, corpus, v12, v13):
    """Rimewater and Lanternmere, written blind for v12, were opened for v13: their authors, like five others,
    mark invented ranks must-anchor ("Lampwarden", "Tidereeve", "Brinewife"), which v13 anchors with an
    ordinary office; Emberfall's author marked "Lampwarden" must-not, which v13 now anchors, an invented word
    and no ordinary one. (recall, type accuracy, must-not terms anchored, ordinary words and real places
    anchored) for each version."""
    assert_scores(store, corpus, ((12, v12), (13, v13)), ("recall", "type_accuracy", "forbidden_anchored", "ordinary_anchored"))


@pytest.mark.e2e
@pytest.mark.parametrize("corpus, v12, v13", [
    ("cogsmoor", (0.915, 0.875, 1.0, 1), (0.936, 0.878, 1.0, 1)), ("reedhaven", (0.894, 0.784, 0.8, 1), (0.915, 0.789, 0.8, 1))])
def test_stories_written_blind_for_v13(store, corpus, v12, v13):
    """Cogsmoor (a mountain railway) and Reedhaven (a river-delta kingdom) were written blind by helpers while
    v13 was made, and scored once each with the final v11, v12 and v13, in aggregate only: v13 anchors more of
    both (recall), Cogsmoor anchors one ordinary word fewer than under v11 (v12's real feasts), and neither
    meets the 0.90 type target. (recall, type accuracy, gender accuracy, ordinary words and real places
    anchored) for v12 and v13."""
    assert_scores(store, corpus, ((12, v12), (13, v13)), ("recall", "type_accuracy", "gender_accuracy", "ordinary_anchored"))


@pytest.mark.e2e
def test_school_stories_tuned_on_for_v6(store):
    """Quillhall (written blind by a helper, then looked at for v6): no gender lost, "the Clarion" stays."""
    from benchmarks.gold_check import evaluate

    found = evaluate(store, "quillhall", {"decision": "decide_v6", "names": "names_v6"})
    before = evaluate(store, "quillhall", {"decision": "decide_v5", "names": "names_v5"})
    assert len(found["forbidden_anchored"]) == len(before["forbidden_anchored"]) - 1, (found, before)
    assert found["type_accuracy"] >= before["type_accuracy"] + 0.04, (found, before)  # a festival, a fell
    assert found["recall"] >= 0.95 and found["gender_accuracy"] >= 0.9, found


@pytest.mark.e2e
def test_canal_stories_written_blind_for_v6_and_v7(store):
    """Marshgate was written blind and first scored, in aggregate only, with v4 to v7; never tuned on. v7's
    unlisted words are its lower-case goods and creatures: recall 0.875 -> 0.925."""
    from benchmarks.gold_check import evaluate

    found = evaluate(store, "marshgate")
    before = evaluate(store, "marshgate", {"decision": "decide_v6", "names": "names_v6"})
    assert found["type_accuracy"] >= 0.9 and found["gender_accuracy"] >= 0.9 and found["recall"] >= 0.9, found
    assert found["left_share"] < before["left_share"] / 2, (found, before)


@pytest.mark.slow
def test_austen_gold_held_out(store):
    from benchmarks.gold_check import evaluate

    try:
        found = evaluate(store, "austen", n_process=2)
    except (urllib.error.URLError, OSError) as e:
        pytest.skip(f"the Debian archive is not reachable: {e}")
    assert found["recall"] >= 0.9 and found["type_accuracy"] >= 0.9 and found["gender_accuracy"] >= 0.9, found
    assert not found["forbidden_anchored"], found


@pytest.mark.e2e
@pytest.mark.parametrize("corpus, v13, v14", [
    ("ashcombe", (0.950, 0.971, 1), (1.0, 0.973, 1)), ("saltroad", (0.895, 0.971, 1), (0.921, 0.943, 1)),
    ("lanternmere", (0.881, 1.0, 0), (0.905, 1.0, 0))])
def test_stories_opened_for_v14(store, corpus, v13, v14):
    """v14 reads names "X of (the) Y" from the text, the recall misses of eight corpora ("the Treaty of
    Varnholm", "the Sisters of the Still Well", "the Charter of Tides"); Cogsmoor and Reedhaven, written blind
    for v13, were opened for it. (recall, type accuracy, ordinary words and real places anchored)."""
    assert_scores(store, corpus, ((13, v13), (14, v14)), ("recall", "type_accuracy", "ordinary_anchored"))


@pytest.mark.e2e
@pytest.mark.parametrize("corpus, v12, v13, v14", [
    ("saltglass", (0.905, 0.857, 1.0, 0), (0.952, 0.865, 1.0, 0), (0.952, 0.865, 1.0, 0)),
    ("thornmarch", (0.721, 0.966, 1.0, 0), (0.767, 0.968, 1.0, 0), (0.791, 0.969, 1.0, 0))])
def test_stories_written_blind_for_v14(store, corpus, v12, v13, v14):
    """Saltglass (a desert observatory and salt town) and Thornmarch (a forest kingdom's knights) were written
    blind by helpers while v14 was made, and scored once each with the final v12, v13 and v14, in aggregate
    only: v13's invented ranks and v14's "of" names anchor more of both, nothing else moves; Saltglass meets
    recall, gender and ordinary words but not type (0.865), Thornmarch type, gender and ordinary words but
    not recall (0.791). (recall, type accuracy, gender accuracy, ordinary words and real places anchored)."""
    assert_scores(store, corpus, ((12, v12), (13, v13), (14, v14)), ("recall", "type_accuracy", "gender_accuracy", "ordinary_anchored"))


@pytest.mark.e2e
@pytest.mark.parametrize("corpus, v13, v14", [
    ("kharrow", (0.915, 0.805, 0.714, 0), (0.936, 0.805, 0.714, 0)), ("pellbridge", (0.930, 0.897, 1.0, 1), (0.930, 0.897, 1.0, 1))])
def test_stories_written_blind_for_v15(store, corpus, v13, v14):
    """Kharrow (a steppe border fort) and Pellbridge (a university town in an epidemic) were written blind by
    helpers while v15 was made, and scored once each with the final v13, v14 and v15, in aggregate only: v15
    (a rank explained once as "a X", tunnels and junctions as places) scores exactly as v14 on both, so it is
    not the default; v14's "of" names anchor more of Kharrow. (recall, type accuracy, gender accuracy,
    ordinary words and real places anchored) for v13, and for v14 and v15 alike."""
    assert_scores(store, corpus, ((13, v13), (14, v14), (15, v14)), ("recall", "type_accuracy", "gender_accuracy", "ordinary_anchored"))


@pytest.mark.e2e
@pytest.mark.parametrize("corpus, v15, v16", [
    ("cadrelle", (0.893, 0.880, 0.941, 2), (0.911, 0.882, 0.941, 2)),
    ("callowdene", (0.852, 0.882, 0.944, 1), (0.918, 0.945, 0.944, 1)),
    ("kharrow", (0.936, 0.805, 0.714, 0), (0.957, 0.905, 0.857, 0)),
    ("thornmarch", (0.791, 0.969, 1.0, 0), (0.860, 0.971, 1.0, 0)),
    ("ulvarre", (0.927, 0.796, 1.0, 2), (0.927, 0.816, 1.0, 2)),
    ("caldessa", (0.925, 0.857, 0.875, 0), (0.925, 0.878, 0.938, 0))])
def test_stories_opened_for_v16(store, corpus, v15, v16):
    """v16 was made on errors several opened corpora share (clans and houses, rivers with banks, a surname that is
    a place word, ranks before names, "Saint X" and "Hobday's Bank", named animals, pronouns against
    gender-guesser); Cadrelle, Callowdene, Ulvarre and Caldessa were opened after their blind scores (docs/
    anchors_gold.md). (recall, type accuracy, gender accuracy, ordinary words and real places anchored) for v15
    and v16."""
    assert_scores(store, corpus, ((15, v15), (16, v16)), ("recall", "type_accuracy", "gender_accuracy", "ordinary_anchored"))


@pytest.mark.e2e
@pytest.mark.parametrize("corpus, v14, v16", [
    ("quessany", (0.918, 0.955, 0.9, 2), (0.939, 0.956, 0.9, 1)),
    ("verrow", (0.825, 0.891, 1.0, 0), (0.842, 0.915, 1.0, 0))])
def test_stories_written_blind_for_v16(store, corpus, v14, v16):
    """Quessany (a detective serial in a spice port) and Verrow (a vineyard valley) were written blind by helpers
    while v16 was finished, and scored once each with v14, v15 and the final v16, in aggregate only: v15 = v14,
    v16 gains recall and type accuracy on both and loses nothing, so v16 is the default. Scored blind, v16 also
    anchored two ordinary words or real places on Quessany; opened, one was "Malabar", a real coast the place
    lists lacked (now in resources/geography_v16.txt). (recall, type accuracy, gender accuracy, ordinary words
    and real places anchored)."""
    assert_scores(store, corpus, ((14, v14), (15, v14), (16, v16)), ("recall", "type_accuracy", "gender_accuracy", "ordinary_anchored"))


@pytest.mark.e2e
@pytest.mark.parametrize("corpus, v14, v16", [
    ("skelmay", (0.842, 0.896, 0.833, 2), (0.842, 0.896, 0.833, 2)),
    ("skelloway", (0.836, 0.878, 1.0, 0), (0.852, 0.880, 1.0, 0))])
def test_stories_written_blind_after_v16(store, corpus, v14, v16):
    """Skelmay (lighthouse isles) and Skelloway (a mill town in a strike) were written blind by helpers after v16
    was final and made the default, and scored once each with v14 and v16, in aggregate only: v16 = v14 on
    Skelmay, a little better on Skelloway. (recall, type accuracy, gender accuracy, ordinary words and real
    places anchored)."""
    assert_scores(store, corpus, ((14, v14), (16, v16)), ("recall", "type_accuracy", "gender_accuracy", "ordinary_anchored"))


@pytest.mark.e2e
@pytest.mark.parametrize("corpus, v17", [
    ("caldessa", (0.962, 0.922, 1.0, 0)),  # v16: (0.925, 0.878, 0.938, 0), pinned above
    ("skelloway", (0.869, 0.902, 1.0, 0))])  # v16: (0.852, 0.880, 1.0, 0)
def test_stories_opened_for_v17(store, corpus, v17):
    """v17 was made on errors two or more opened corpora share (titled names, ships and animals called by common
    nouns, an invented form of address before many names, a house named once); the v16 scores of these two are
    pinned above. (recall, type accuracy, gender accuracy, ordinary words and real places anchored)."""
    assert_scores(store, corpus, ((None, v17),), ("recall", "type_accuracy", "gender_accuracy", "ordinary_anchored"))


@pytest.mark.e2e
@pytest.mark.parametrize("corpus, v16, v17", [
    ("ostrevan", (0.958, 0.870, 1.0, 0), (0.958, 0.891, 1.0, 0)),
    ("ossamir", (0.979, 0.870, 1.0, 0), (0.979, 0.891, 1.0, 0))])
def test_stories_written_blind_for_v17(store, corpus, v16, v17):
    """Ostrevan (a frontier railway across a plateau) and Ossamir (a river delta's merchant houses) were written
    blind by helpers while v17 was made, and scored once each with v16 and the final v17, in aggregate only: v17
    gains type accuracy on both (0.870 -> 0.891) and loses nothing, so v17 is the default. Both meet recall,
    gender and ordinary words (Ostrevan anchors one real demonym, "Cornishmen", no English word); type is 0.009
    short. (recall, type accuracy, gender accuracy, ordinary words and
    real places anchored)."""
    assert_scores(store, corpus, ((16, v16), (None, v17)), ("recall", "type_accuracy", "gender_accuracy", "ordinary_anchored"))


@pytest.mark.e2e
@pytest.mark.parametrize("corpus, v17", [
    ("vessary", (0.978, 0.860, 1.0, 0)),
    ("vennick", (0.932, 0.951, 1.0, 0))])
def test_stories_written_blind_for_v18(store, corpus, v17):
    """Vessary (a school of healers in a mountain valley) and Vennick (a smuggling coast) were written blind by
    helpers while v18 was made, after v17 was final and the default, and scored once each with v17 and v18 in
    aggregate only: v18 = v17 on both, so v18 is not the default. Vennick meets the four targets at once
    (recall >= 0.90, type >= 0.90, gender >= 0.90, no ordinary word or real place anchored); Vessary all but
    type (0.860). (recall, type accuracy, gender accuracy, ordinary words and real places anchored)."""
    assert_scores(store, corpus, ((None, v17), (18, v17)), ("recall", "type_accuracy", "gender_accuracy", "ordinary_anchored"))


def test_a_gold_family_written_with_a_lower_case_article_is_typed_by_its_key():
    gold = [GoldTerm("the Fanes", "family", None, True, ()), GoldTerm("the Quells", "family", None, True, ())]
    rows = [{"term": "Fane", "replacement": "Hughes", "label": "PERSON"},
            {"term": "Quells", "replacement": "Rivers", "label": "GPE"}]
    found = score(rows, rows, gold)
    assert found["recall"] == 1.0 and found["wrong_type"] == ["the Quells: family as GPE"]
