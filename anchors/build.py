"""anchors: the dictionary of target-specific terms and their generic replacements (docs/anchors.md).

Writes `anchor_candidates` (every candidate, its decision and reason) and `anchors` (the dictionary).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

from pydantic import BaseModel, Field

from anchors.aliases import clusters, name_roles, person_terms, place_terms, run_ons, subkey_rejections
from anchors.candidates import Candidate, fold_sentence_case, gather, score
from anchors.evidence import mention_evidence, word_counts
from anchors.gender import is_known_name
from anchors.heuristics import general_zipf_v1, heuristic
from anchors.overrides import KEEP, load_overrides, overrides_hash
from anchors.replacements import Replacer
from anchors.terms import WORD, words
from anchors.wordmap import draw_words, replace_term, word_kinds
from corpus_tools.errors import ObliviateError
from corpus_tools.progress import Reporter, task
from corpus_tools.stage import Stage, produce
from corpus_tools.store import Artifact, Store

class AnchorSettings(BaseModel):
    overrides: Optional[str] = Field(None, description="TOML or CSV file of term -> replacement (or 'keep'), relative to the target file; its content enters the version.")
    seed: int = Field(0, description="Seed of every replacement draw: same inputs and seed, same dictionary.")
    min_mentions: int = Field(2, ge=1, description="A cluster of terms mentioned fewer times in all is too rare to anchor.")
    max_zipf: float = Field(5.0, description="Terms this frequent in general English (wordfreq Zipf) are never anchored.")
    label_min_zipf: float = Field(3.0, description="A DATE, CARDINAL, MONEY... label rejects only terms at least this frequent in general English.")
    real_world_zipf: float = Field(3.5, description="Places, peoples and languages (GPE, LOC, NORP, LANGUAGE) this frequent are real ones: kept.")
    min_specificity: float = Field(1.0, description="Names need a target frequency this many Zipf units above general English.")
    noun_max_zipf: float = Field(3.0, description="Lower-case nouns are candidates only below this general-English Zipf.")
    noun_min_specificity: float = Field(3.0, description="Lower-case nouns need this specificity (they are invented objects).")
    common_word_zipf: float = Field(4.0, description="Inside a multi-word term, words at least this frequent stay (\"Forbidden Forest\" -> \"Ashby Forest\").")
    name_max_zipf: float = Field(4.5, description="Generated names must be rarer than this in general English, so they read as names.")
    label_vote: str = Field("label_vote_v1", description="Registered heuristic: one label per term.")
    general_zipf: str = Field("general_zipf_v1", description="Registered heuristic: general-English frequency of a term.")
    specificity: str = Field("specificity_v1", description="Registered heuristic: target vs general frequency.")
    decision: str = Field("decide_v17", description="Registered heuristic: accept or reject a candidate, with a reason "
                          "(decide_v1: frequencies and labels only; decide_v2: also the corpus evidence of anchors/evidence.py; "
                          "decide_v3: also corpus titles and invented words in any case, with names_v3; decide_v4: also "
                          "looser titles, and English words naming things stay, with names_v4; decide_v5: as v4, with names_v5; "
                          "decide_v6: also short forms that are rarer English words stay, with names_v6; decide_v7: also lower-case "
                          "words of Zipf 1-3 that no dictionary lists are invented ('boggart'), with names_v7; decide_v8: also role compounds "
                          "before names are titles ('Lampwarden Quade'), with names_v8; decide_v9: also real cities and geography stay, "
                          "offices and forms of address are titles, long names counted in the text, common nouns naming "
                          "animals stay, with names_v9; decide_v10: also invented ranks written 'the X' are titles, cities "
                          "spelled like given names stay when only gone to, common nouns naming things typed no person and short "
                          "forms that are head words stay, with names_v10; decide_v11: also ranks only before name-like words "
                          "on the same line, real cities typed person by a given-name word stay, with names_v11; decide_v12: also the "
                          "feasts of real calendars stay ('Easter'), with names_v12; decide_v13: also invented ranks no dictionary "
                          "lists are anchored ('Lampwarden'), with names_v13; decide_v14: also names 'X of (the) Y' read from the "
                          "text ('the Charter of Tides'), with names_v14; decide_v15 (not the default: it scored as v14 on the "
                          "corpora written blind to it): also a rank explained once as 'a X' stays a rank, with names_v15; decide_v16: also clans and houses as families, "
                          "'House X', 'Saint X' and 'Hobday's Bank' as keys, ranks before names and alone, offices 'X of Y' "
                          "of English words left alone, with names_v16; decide_v17 (the default): also titled names as keys ('Madam "
                          "Pomfrey'), ships and animals called by common nouns kept when the text shows what they are, an "
                          "invented word before three people's names a rank ('Messa'), with names_v17).")
    names: str = Field("names_v17", description="Registered heuristic: who is a person, given name or surname "
                       "(names_v2: place heads like 'Hall' end places, titles like 'Mr.' mark surnames; names_v3: types, "
                       "genders and families from context, replacements by type, seeded per word: anchors/build_v3.py; "
                       "names_v4: also spatial prepositions, head words and plural bodies as type evidence; names_v5: "
                       "also landform heads, surnames' plurals as families, and two pronouns needed as evidence; names_v6: also "
                       "gender from a gendered word before a name ('Aunt X', 'his son X') and from a single pronoun; names_v7: as v6; names_v8: also "
                       "names placed in time ('until X') as events, '-mas' festivals, more head words of organisations, events "
                       "and landforms, kept in the replacement; names_v9: also a given name before a landform word is a person, "
                       "prefix heads ('Hotel X'), banks as organisations, buildings as places, '-es' family plurals; names_v10: "
                       "also no pronoun for a name spoken to or in a quotation after it, buildings for shows as places; names_v11: "
                       "also polities, farms, associations, railways and hard seasons as head words, 'the Long Flood' no person; "
                       "names_v12: also ships (boarded, sailed), works (in italics) and buildings (doors, landlords, called an "
                       "inn) from the words around a name, and possessive pronouns, never those inside a quotation, as gender "
                       "evidence; names_v13: also an invented rank replaced by an ordinary office ('Lampwarden' -> 'Steward'); "
                       "names_v14: as v13; names_v15: also tunnels, junctions, mines and other works as place heads; names_v16: "
                       "also a river's banks and a realm's rulers as place evidence, a given name before a place word shared "
                       "by relatives as a person, families replaced by surnames, and five or more pronouns in any position "
                       "over gender-guesser; names_v17: also a titled name keeps its title ('Madam Ayala'), ship words "
                       "('the barge Patience') and what only animals do ('Clove whined') as type evidence).")
    derived_min_zipf: float = Field(3.0, description="decide_v2: a rare noun derived from an English word this frequent is English (\"civilities\").")
    lower_case_share: float = Field(0.2, description="decide_v2: a capitalised word also written in lower case this often (share of its capitalised count) is a common word.")
    lower_case_min_zipf: float = Field(2.5, description="decide_v2: ... if its lower-case form is at least this frequent in general English.")
    invented_max_zipf: float = Field(1.0, description="decide_v3: a word rarer than this in general English is invented, a candidate in any case.")
    invented_min_specificity: float = Field(4.0, description="decide_v3: ... if it recurs: a target frequency this many Zipf units above general English.")
    common_noun_zipf: float = Field(3.0, description="decide_v4: a word naming a thing this frequent in general English is an ordinary noun (\"the Guild\", \"the Heron\"): not anchored on its own.")


STAGE = Stage("anchors", inputs={"documents": "ingest", "mentions": "extract"},
              outputs=("anchor_candidates", "anchors"), settings=AnchorSettings, code_version="anchors_v2",
              summary="Build the anchor dictionary: every candidate with its decision, the accepted terms with replacements.")


def build_anchors(store: Store, target: str, settings: AnchorSettings, *, documents: Artifact, mentions: Artifact,
                  progress: Reporter | None = None) -> tuple[Artifact, bool]:
    """Build the dictionary; returns (artifact, created). The overrides file's content is part of the version."""
    for name in (settings.label_vote, settings.general_zipf, settings.specificity, settings.decision, settings.names):
        heuristic(name)
    if mentions.parents.get("documents") != documents.version:
        raise ObliviateError(f"mentions {mentions.version} were not extracted from corpus {documents.version}")
    overrides_path = Path(settings.overrides) if settings.overrides else None
    key = settings.model_dump(exclude={"overrides"}) | {"overrides": overrides_hash(overrides_path)}

    def build(st, version: str) -> None:
        advance = task(progress, "anchors", 4, "steps")
        texts = {r["doc_id"]: r["text"] for r in store.read("documents", documents, ["doc_id", "text"]).to_pylist()}
        rows = store.read("mentions", mentions, ["doc_id", "end_char", "text", "label"]).to_pylist()
        cands, mapping = make_dictionary(rows, texts, settings, load_overrides(overrides_path), advance)
        st.write("anchor_candidates", [c.row(target, version) for c in cands.values()])
        st.write("anchors", [{"target": target, "anchors_version": version, "term": c.term, "replacement": c.replacement,
                              "label": c.label, "cluster": c.cluster, "source": c.source}
                             for c in cands.values() if c.accepted])
        st.stats = {"candidates": len(cands), "anchors": sum(c.accepted for c in cands.values()),
                    "clusters": len({c.cluster for c in cands.values() if c.accepted})}
        advance(1)

    return produce(store, STAGE, target, key=key, inputs={"documents": documents, "mentions": mentions}, build=build)


def make_dictionary(mention_rows: list[dict], texts: dict[str, str], settings: AnchorSettings,
                    overrides: dict[str, str] | None = None, advance=lambda n=1: None) -> tuple[dict[str, Candidate], dict[str, str]]:
    """Candidates (decided, clustered, replaced) and the word map, from mention rows and document texts."""
    from anchors.build_v3 import LEVELS, make_dictionary_v3

    if settings.decision in LEVELS or settings.names.replace("names", "decide") in LEVELS:
        if settings.names != settings.decision.replace("decide", "names"):
            raise ObliviateError(f"{settings.decision} and {settings.decision.replace('decide', 'names')} go together "
                                 f"(got decision={settings.decision!r}, names={settings.names!r})")

        return make_dictionary_v3(mention_rows, texts, settings, overrides, advance)
    overrides = overrides or {}
    rules = heuristic(settings.names)
    counts = word_counts(texts.values())
    cands = gather(mention_rows)
    fold_sentence_case(cands)
    evidence = {t: mention_evidence(t, c.spots, texts) | {"lower": counts[t.lower()], "cap": counts[t]}
                for t, c in cands.items() if " " not in t and t[:1].isupper()}
    score(cands, sum(counts.values()), settings, evidence)
    advance(1)
    for term, value in overrides.items():  # the file wins over every rule below
        cand = cands.setdefault(term, Candidate(term, label="PROPN", reason=""))
        cand.accepted = value != KEEP
        cand.reason = "manual override: keep" if value == KEEP else "manual override"
        cand.source = "override"
    forced = {t for t, v in overrides.items() if v != KEEP}

    accepted = {t: c for t, c in cands.items() if c.accepted}
    share = {t: c.labels["PERSON"] / max(1, sum(c.labels.values())) for t, c in accepted.items()}
    surnamed = {t for t, ev in evidence.items() if ev["titled"] >= max(1, 0.3 * ev["seen"])} if rules.surname_titles else set()
    people = person_terms({t: c.label for t, c in accepted.items()}, share, is_known_name, general_zipf_v1,
                          place_heads=rules.place_heads, surnamed=surnamed)
    groups = clusters({t: c.n_mentions for t, c in accepted.items()}, people)
    totals: dict[str, int] = {}
    for t, g in groups.items():
        totals[g] = totals.get(g, 0) + accepted[t].n_mentions
    for t, g in groups.items():
        cands[t].cluster = g
        # A rare full name of a frequent person stays ("Horace Slughorn" once, "Slughorn" often), so
        # its first name cannot leak; any other rare term goes.
        n = totals[g] if t in people else cands[t].n_mentions
        if n < settings.min_mentions and t not in forced:
            cands[t].accepted, cands[t].reason = False, f"too rare ({n} mention(s) < {settings.min_mentions})"
    keys = {t for t, c in cands.items() if c.accepted}
    subkeys = {t: r for t, r in subkey_rejections(keys).items() if t not in forced}
    for t, reason in subkeys.items():
        cands[t].accepted, cands[t].reason = False, reason
    keys = {t for t, c in cands.items() if c.accepted} | set(subkeys)
    advance(1)

    # Replacements: for the dictionary, and for sub-key rejects so a reader sees they would agree.
    people = (people & keys) - run_ons(set(subkeys), keys, is_known_name)
    for t in people:
        cands[t].label = "PERSON"
    for t in place_terms(keys, rules.place_heads):  # "Kellynch Hall" is a place, whatever NER said
        if cands[t].label in ("PERSON", "NORP", "PROPN", "PRODUCT", "WORK_OF_ART"):
            cands[t].label = "FAC"
    labelled = {t: cands[t].label for t in keys}
    roles = name_roles(people, is_known_name, surnamed)
    generated = {t: lab for t, lab in labelled.items() if t not in forced}
    kinds = word_kinds(generated, roles, settings.common_word_zipf, rules.place_heads)
    taken = {w.lower() for w in counts} | {w.lower() for t in cands for w in WORD.findall(t)}
    replacer = Replacer(settings.seed, taken, settings.name_max_zipf)
    for value in overrides.values():
        if value != KEEP:
            replacer.claim(value)
    fixed = {t: v for t, v in overrides.items() if v != KEEP and " " not in t}
    mapping, _ = draw_words(kinds, replacer, _contexts(cands, texts, roles), fixed)
    for t in keys:
        cands[t].replacement = overrides[t] if t in forced else replace_term(t, mapping)
        if t not in forced:
            cands[t].source = "generated"
    advance(1)
    return dict(sorted(cands.items())), mapping


def _contexts(cands: dict[str, Candidate], texts: dict[str, str], roles: dict[str, str]) -> dict[str, list[str]]:
    """Text right after the mentions of each given name (its own and its full names'): pronoun votes."""
    out: dict[str, list[str]] = {}
    for term, cand in cands.items():
        first = words(term)[0]
        if roles.get(first) != "given":
            continue
        for doc_id, end in cand.spots:
            text = texts.get(doc_id, "")
            snippet = re.split(r"(?<=[.!?])\s", text[end:end + 160], maxsplit=2)
            out.setdefault(first, []).append(" ".join(snippet[:2]))
    return out
