"""translate: matching rules, exact round trips, and the stage's tables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from corpus_tools.errors import ObliviateError
from corpus_tools.ingest import IngestSettings, ingest
from corpus_tools.translate import Matcher, TranslateSettings, plural, translate, translate_text

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "data" / "targets" / "harry_potter" / "corpus"

HP = [("Harry Potter", "Jon Huggins", "PERSON"), ("Harry", "Jon", "PERSON"), ("Potter", "Huggins", "PERSON"),
      ("Hermione Granger", "Sophie Lane", "PERSON"), ("Hermione", "Sophie", "PERSON"), ("Granger", "Lane", "PERSON"),
      ("Ron Weasley", "Tom Baxter", "PERSON"), ("Ron", "Tom", "PERSON"), ("Weasley", "Baxter", "PERSON"),
      ("Albus Dumbledore", "Edwin Marsh", "PERSON"), ("Dumbledore", "Marsh", "PERSON"), ("Albus", "Edwin", "PERSON"),
      ("Voldemort", "Malvern", "PERSON"), ("Lord Voldemort", "Lord Malvern", "PERSON"), ("Snape", "Carver", "PERSON"),
      ("Severus", "Gilbert", "PERSON"), ("Draco", "Nigel", "PERSON"), ("Malfoy", "Fenwick", "PERSON"),
      ("Hagrid", "Brannock", "PERSON"), ("Sirius", "Wendell", "PERSON"), ("Grindelwald", "Harrowgate", "PERSON"),
      ("Ollivander", "Pemberton", "PERSON"), ("Hogwarts", "Mystic Academy", "ORG"), ("Gryffindor", "Lionhall", "ORG"),
      ("Slytherin", "Serpentine", "ORG"), ("Quidditch", "Skyball", "PRODUCT"), ("Muggle", "Plainfolk", "NORP"),
      ("Horcrux", "soul vessel", "PRODUCT"), ("Horcruxes", "soul vessels", "PRODUCT"), ("Hallows", "Relics", "PRODUCT"),
      ("Elder Wand", "Old Staff", "PRODUCT"), ("Peverell", "Ashdown", "PERSON")]


def restore(translated: str, spans, side: str = "original") -> str:
    """The original text from the translated one and the spans (or the reverse with side='translated')."""
    out, pos = [], 0
    for sp in spans:
        a, b = (sp.t_start, sp.t_end) if side == "original" else (sp.start, sp.end)
        out += [translated[pos:a], sp.original if side == "original" else sp.translated]
        pos = b
    return "".join(out) + translated[pos:]


def test_rules():
    m = Matcher(HP)
    text = "Harry's wand. Harry Potterish. Ronald and Ron. HARRY. the Weasleys' house. Harry Potter's owl."
    out, spans = translate_text(text, m)
    assert out == "Jon's wand. Jon Potterish. Ronald and Tom. HARRY. the Baxters' house. Jon Huggins's owl."
    assert [(s.term, s.original, s.translated) for s in spans][3] == ("Weasley", "Weasleys", "Baxters")
    assert plural("Huggins") == "Hugginses" and plural("Weasley") == "Weasleys"
    out, _ = translate_text("the Potters and the Jones met", Matcher([("Potter", "Huggins", "PERSON"), ("Jones", "Fox", "PERSON")]))
    assert out == "the Hugginses and the Fox met"
    assert translate_text("the Joneses", Matcher([("Jones", "Fox", "PERSON")]))[0] == "the Foxes"
    # plurals only for person labels; Hogwarts + s is not a plural
    assert translate_text("two Quidditchs", Matcher([("Quidditch", "Skyball", "PRODUCT")]))[0] == "two Quidditchs"


def test_terms_with_punctuation_edges():
    m = Matcher([("Mr. Potter", "Mr. Huggins", "PERSON"), ("St.", "Saint", "ORG")])
    assert translate_text("Mr. Potter met St.Anne.", m)[0] == "Mr. Huggins met SaintAnne."


def test_conflicting_replacements_are_an_error():
    with pytest.raises(ObliviateError, match="'Harry' has two replacements"):
        Matcher([("Harry", "Jon", "PERSON"), ("Harry", "Tom", "PERSON")])


def reference(text: str, entries) -> str:
    """Leftmost-longest whole-word replacement, one position at a time (slow, obviously right)."""
    table = {t: r for t, r, _ in entries}
    table |= {plural(t): plural(r) for t, r, lab in entries if lab == "PERSON" and plural(t) not in table}
    word = lambda ch: ch.isalnum() or ch == "_"
    out, p = [], 0
    while p < len(text):
        best = None
        for key in table:
            if text.startswith(key, p) and (best is None or len(key) > len(best)):
                e = p + len(key)
                if (word(key[0]) and p > 0 and word(text[p - 1])) or (word(key[-1]) and e < len(text) and word(text[e])):
                    continue
                best = key
        if best:
            out.append(table[best])
            p += len(best)
        else:
            out.append(text[p])
            p += 1
    return "".join(out)


names = st.sampled_from(["Ann", "Anna", "Anna Lee", "Lee", "Bo", "Bob", "Bobs", "Lee's", "é", "ab_c"])
texts = st.lists(st.one_of(names, st.sampled_from([" ", "  ", "\n", "'s", "s", "es", ".", "x", "-", "😀"])),
                 max_size=30).map("".join)
dicts = st.lists(st.tuples(names, st.text(alphabet="Zqé s😀", min_size=0, max_size=6),
                           st.sampled_from(["PERSON", "ORG"])), max_size=6, unique_by=lambda e: e[0])


@settings(max_examples=200, deadline=None)
@given(texts, dicts)
def test_matches_reference_and_round_trips(text, entries):
    m = Matcher(entries)
    out, spans = translate_text(text, m)
    assert out == reference(text, entries)
    assert restore(out, spans) == text
    assert restore(text, spans, side="translated") == out
    for sp in spans:
        assert text[sp.start:sp.end] == sp.original and out[sp.t_start:sp.t_end] == sp.translated


def test_round_trip_over_bundled_corpus():
    files = sorted(CORPUS.glob("*.md"))
    assert files, "the bundled corpus is missing"
    m = Matcher(HP)
    terms = [t for t, _, _ in HP]
    pattern = re.compile(r"(?<![\w])(?:" + "|".join(map(re.escape, sorted(terms, key=len, reverse=True))) + r")(?![\w])")
    total = 0
    for f in files:
        text = f.read_text()
        out, spans = translate_text(text, m)
        total += len(spans)
        assert restore(out, spans) == text, f.name
        assert restore(text, spans, side="translated") == out, f.name
        assert not pattern.search(out), (f.name, pattern.search(out))
    assert total > 20 * len(files)


def test_stage_writes_tables_and_reuses(store, tmp_path):
    (tmp_path / "a.txt").write_text("Harry met Hermione at Hogwarts. The Weasleys waved.")
    (tmp_path / "b.txt").write_text("Nothing to replace here.")
    docs, _ = ingest(store, "hp", IngestSettings(sources=[str(tmp_path / "a.txt"), str(tmp_path / "b.txt")]))
    with store.create("anchors", "hp", "anc1", parents={"documents": docs.version}, settings={}, code_version="test") as stg:
        stg.write("anchors", [{"target": "hp", "anchors_version": "anc1", "term": t, "replacement": r, "label": lab,
                               "cluster": t, "source": "test"} for t, r, lab in HP])
    anchors = store.require("anchors", "hp", "anc1")
    art, created = translate(store, "hp", TranslateSettings(), documents=docs, anchors=anchors)
    assert created and art.stats["substitutions"] == 4 and art.stats["documents"] == 2
    rows = store.query("select doc_id, text from translated_documents order by doc_id")
    assert rows == [("a", "Jon met Sophie at Mystic Academy. The Baxters waved."), ("b", "Nothing to replace here.")]
    subs = store.query("select term, original, translated, start_char, end_char, t_start_char, t_end_char "
                       "from substitutions order by start_char")
    assert subs[-1] == ("Weasley", "Weasleys", "Baxters", 36, 44, 38, 45)
    again, created = translate(store, "hp", TranslateSettings(), documents=docs, anchors=anchors)
    assert not created and again.version == art.version
    other, created = translate(store, "hp", TranslateSettings(plural_labels=[]), documents=docs, anchors=anchors)
    assert created and other.version != art.version
