"""The bundled Harry Potter corpus: the dictionary holds the universe's names, with gender and aliases kept."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from anchors.build import AnchorSettings, build_anchors
from anchors.extract import ExtractSettings, extract
from anchors.gender import guess_name
from corpus_tools.ingest import IngestSettings, ingest

HP = Path(__file__).resolve().parents[2] / "data" / "targets" / "harry_potter"
EXPECTED = """Harry Hermione Ron Weasley Dumbledore Hogwarts Gryffindor Slytherin Ravenclaw Hufflepuff
Quidditch Voldemort Hagrid Snape Malfoy Hogsmeade Dursley Azkaban Gringotts Dementor Snitch Pensieve
Sirius Lupin Neville Dobby McGonagall Patronus Horcrux Muggle Draco Ginny Hedwig Quaffle Bellatrix
Fawkes Nagini Granger Ollivander Kreacher Polyjuice Wormtail Longbottom Dudley Petunia Lucius Riddle
Slughorn Tonks Luna Lovegood Pettigrew Grindelwald Aragog Buckbeak Crookshanks""".split()
PHRASES = ["Diagon Alley", "Privet Drive", "Sorting Hat", "Hogwarts Express", "Death Eaters", "Elder Wand"]


# The bundled corpus as these checks (and the v1 digest below) were written against it: the two documents on the series
# as published that trial CB1 added (docs/pretrained.md) are left out, so a released rule is pinned on the same input.
ROUND1_CORPUS = [p for p in sorted((HP / "corpus").glob("*.md"))
                 if p.name not in {"b_the_books_as_published.md", "b_the_films_and_beyond.md"}]


@pytest.fixture(scope="module")
def hp_inputs(tmp_path_factory):
    from corpus_tools.store import Store

    store = Store(tmp_path_factory.mktemp("hp") / "ws")
    assert len(ROUND1_CORPUS) == 108
    docs, _ = ingest(store, "hp", IngestSettings(sources=[str(p) for p in ROUND1_CORPUS]))
    started = time.perf_counter()
    mentions, _ = extract(store, "hp", ExtractSettings(), documents=docs)
    return store, docs, mentions, time.perf_counter() - started


@pytest.fixture(scope="module")
def hp(hp_inputs):
    store, docs, mentions, extract_seconds = hp_inputs
    started = time.perf_counter()
    art, _ = build_anchors(store, "hp", AnchorSettings(overrides=str(HP / "anchors_overrides.toml")), documents=docs,
                           mentions=mentions)
    took = extract_seconds + time.perf_counter() - started
    anchors = {r["term"]: r for r in store.read("anchors", art).to_pylist()}
    cands = {r["term"]: r for r in store.read("anchor_candidates", art).to_pylist()}
    return anchors, cands, took


def _covered(term: str, anchors: dict) -> bool:
    """In the dictionary itself, or as a word of a key (a sub-key full name translates word by word)."""
    return term in anchors or any(term in k.split() for k in anchors)


@pytest.mark.e2e
def test_dictionary_holds_the_universe(hp):
    anchors, cands, took = hp
    terms = EXPECTED + PHRASES
    missing = [t for t in terms if not _covered(t, anchors)]
    assert len(terms) >= 40
    assert len(missing) <= 0.1 * len(terms), f"missing {missing}"
    assert took < 60


@pytest.mark.e2e
def test_gender_aliases_and_rules_on_the_real_corpus(hp):
    anchors, cands, _ = hp
    rep = {t: r["replacement"] for t, r in anchors.items()}
    sub = {t: r["replacement"] for t, r in cands.items() if r["replacement"]}
    assert guess_name(rep["Harry"]) == "male" and guess_name(rep["Ginny"]) == "female"
    assert sub["Harry Potter"] == f"{rep['Harry']} {rep['Potter']}" if "Potter" in rep else sub["Harry Potter"].startswith(rep["Harry"])
    # v3 reads Hermione's gender from the corpus (the v2 demo needed an override for it); overrides still win.
    assert guess_name(rep["Hermione"]) == "female"
    assert rep["Quidditch"] == "Skyball" and anchors["Quidditch"]["source"] == "override"
    assert sub["Muggles"] == "Outsiders" or rep.get("Muggles") == "Outsiders"  # the override's plural follows
    assert all(r["replacement"].split()[0].lower() not in {"the", "a", "an", "of"} for r in anchors.values())
    # Only a character's own common name ("George", "James", "Black" used alone) passes the Zipf limit (v3 families).
    common = {t for t, r in cands.items() if r["decision"] == "accepted" and r["zipf"] >= 5.0 and r["reason"] != "manual override"}
    # (v14: or a name "X of Y" written capitalised in the text, "the House of Black", whose words are common)
    assert all(cands[t]["reason"].startswith(("family: a word of", "a name 'X of Y'")) for t in common), common
    assert {"George", "James", "Black"} <= set(anchors)
    assert cands["London"]["decision"] == "rejected" and cands["London"]["reason"]
    reps = list(rep.values())
    assert len(reps) == len(set(reps)) and not set(reps) & set(cands)


# sha256 of the v1 dictionary of the bundled corpus (no overrides), as the code released with decide_v1 and
# (implicitly) names_v1 built it before the v2 rules existed: a released heuristic never changes behaviour.
V1_DIGEST = "7d07685b2a514e4b84da37344faf56d2562dda7a1309db794420e388d2218c75"


@pytest.mark.e2e
def test_released_v1_heuristics_rebuild_the_same_dictionary(hp_inputs):
    import hashlib

    store, docs, mentions, _ = hp_inputs
    art, _ = build_anchors(store, "hp", AnchorSettings(decision="decide_v1", names="names_v1"), documents=docs,
                           mentions=mentions)
    rows = store.query("select term, label, cluster, decision, reason, replacement from anchor_candidates "
                       "where anchors_version = ? order by term", [art.version])
    assert hashlib.sha256(repr(rows).encode()).hexdigest() == V1_DIGEST
