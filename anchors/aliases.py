"""Alias structure: which terms name the same thing, which words are first names or surnames,
and the authors' sub-key rules (drop a multi-word key made only of other keys, drop "X's" when X is a key)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from anchors.terms import is_title, strip_possessive, words

CONNECTORS = {"of", "the", "and", "de", "van", "von", "du", "la", "le", "da", "di"}
GIVEN, SURNAME = "given", "surname"
# Labels of things: a word NER files under these on its own is not part of a person's name.
THING_LABELS = {"PRODUCT", "WORK_OF_ART", "EVENT", "LAW", "NOUN", "LANGUAGE"}


def base_form(word: str, keys: set[str]) -> str | None:
    """The key a word is a variant of: a possessive ("Potter's") or plural ("Dementors", "Potters")."""
    for stem in (strip_possessive(word), word[:-1] if word.endswith("s") else None,
                 word[:-2] if word.endswith("es") else None):
        if stem and stem != word and stem in keys:
            return stem
    return None


def _segments(parts: list[str], keys: set[str]) -> list[str] | None:
    """Split words into contiguous keys ("Deathly Hallows" + "Harry"), or None if impossible."""
    best: list[list[str] | None] = [[]] + [None] * len(parts)
    for end in range(1, len(parts) + 1):
        for start in range(end):
            piece = " ".join(parts[start:end])
            if best[start] is not None and piece in keys and (end - start) < len(parts):
                best[end] = best[start] + [piece]
                break
    return best[-1]


def subkey_rejections(keys: set[str]) -> dict[str, str]:
    """term -> reason for keys the authors' scripts drop: the translation of their parts says it all.

    "Harry Potter" goes when "Harry" and "Potter" are keys; so does a run-on of keys that NER glued
    together ("Deathly Hallows Harry"); "Potter's" goes when "Potter" is a key."""
    out = {}
    for term in keys:
        stripped = strip_possessive(term)
        if stripped != term and stripped in keys:
            out[term] = f"sub-key rule: possessive of key {stripped!r}"
            continue
        parts = words(term)
        pieces = _segments(parts, keys) if len(parts) > 1 else None
        if pieces:
            out[term] = "sub-key rule: made only of keys " + " + ".join(repr(p) for p in pieces)
    return out


def run_ons(terms: set[str], keys: set[str], known_name) -> set[str]:
    """Keys glued together by NER, not names: a multi-word key and more ("Deathly Hallows Harry"),
    or a word followed by a first name ("Hogwarts Lily")."""
    out = set()
    for t in terms:
        pieces = _segments(words(t), keys) if " " in t else None
        if pieces and (any(" " in p for p in pieces) or (known_name(pieces[-1]) and not known_name(pieces[0]))):
            out.add(t)
    return out


@dataclass(frozen=True)
class NameRules:
    """A registered version of the name rules (settings `names`): which place heads end a place's name
    ("Kellynch Hall" is no person), and whether titles before a word make it a surname ("Mr. Darcy")."""
    place_heads: frozenset = frozenset()
    surname_titles: bool = False


def place_terms(terms, place_heads: frozenset) -> set[str]:
    """Multi-word terms whose last word is a place head: "Kellynch Hall", "Diagon Alley"."""
    return {t for t in terms if " " in t and words(t)[-1] in place_heads}


def person_terms(labels: dict[str, str], person_share: dict[str, float], known_name, zipf,
                 common_zipf: float = 4.4, place_heads: frozenset = frozenset(),
                 surnamed: set[str] = frozenset()) -> set[str]:
    """Terms that name people. en_core_web_sm often calls a fantasy name ORG or GPE, so besides
    PERSON by vote (unless a word is common English, as in "Hogwarts Castle"), a multi-word name
    whose first word is a known first name or whose last word is a person's word is a person, and
    so is a single word of a person's name that NER called PERSON at least a third of the time.
    With `place_heads` (names_v2), a name ending in one is a place, and so is a word found only
    before one ("Kellynch" of "Kellynch Hall") unless it is a first name; and a word seen after "Mr."
    (`surnamed`) is a person whatever NER said ("Mr. Woodhouse")."""
    places = place_terms(labels, place_heads)
    if places or surnamed:
        people = person_terms({t: lab for t, lab in labels.items() if t not in places}, person_share, known_name, zipf,
                              common_zipf)
        people |= {t for t in surnamed if t in labels and t not in places and labels[t] not in THING_LABELS}
        in_names = {w for t in people if " " in t for w in _name_words(t)}
        modifiers = {w for t in places for w in words(t)[:-1]}
        return {t for t in people if not (t in modifiers and t not in in_names and not known_name(t))}
    def plausible(ws: list[str]) -> bool:
        # A word that is a key of its own which NER never calls a person ("Muggle") is no name.
        return bool(ws) and all((known_name(w) or zipf(w) < common_zipf)
                                and labels.get(w, "PERSON") not in THING_LABELS
                                and (labels.get(w, "PERSON") in ("PERSON", "PROPN") or known_name(w) or person_share.get(w, 0) > 0)
                                for w in ws)

    people = {t for t, lab in labels.items() if lab == "PERSON" and plausible(_name_words(t))}
    person_words = {w for t in people for w in _name_words(t)}
    for term in labels:
        ws = _name_words(term)
        if len(ws) > 1 and plausible(ws) and len(words(term)) == len(ws) and (known_name(ws[0]) or ws[-1] in person_words):
            people.add(term)
    person_words = {w for t in people for w in _name_words(t)}
    for term, lab in labels.items():
        ws = _name_words(term)
        if len(ws) == 1 and ws[0] == term and (ws[0] in person_words or known_name(term)) \
                and (lab in ("PROPN", "NOUN") or known_name(term) or person_share.get(term, 0) >= 1 / 3):
            people.add(term)
    return people


def _name_words(term: str) -> list[str]:
    """The words of a name that get replaced: not connectors, not initials ("T. M. Riddle")."""
    parts = words(term)
    if any(is_title(p) for p in parts) or not all(p[:1].isupper() or p in CONNECTORS for p in parts):
        return []
    return [p for p in parts if p not in CONNECTORS and not (len(p.rstrip(".")) == 1)]


def name_roles(people: set[str], known_name, surnamed: set[str] = frozenset()) -> dict[str, str]:
    """word -> given or surname. In "Tom Marvolo Riddle" the last word is a surname, the others given
    names; a lone word is a given name when gender-guesser knows it, else a surname, unless it is in
    `surnamed` (seen after "Mr.", "Colonel"...: names_v2), which counts as a surname twice over."""
    votes: dict[str, Counter] = {}
    for term in sorted(people):
        ws = _name_words(term)
        if len(ws) > 1:
            for w in ws[:-1]:
                votes.setdefault(w, Counter())[GIVEN] += 3
            votes.setdefault(ws[-1], Counter())[SURNAME] += 3
    for term in sorted(people):
        ws = _name_words(term)
        if len(ws) == 1:
            votes.setdefault(ws[0], Counter())[GIVEN if known_name(ws[0]) else SURNAME] += 1
            if ws[0] in surnamed:
                votes[ws[0]][SURNAME] += 2
    return {w: max(sorted(c), key=lambda k: c[k]) for w, c in votes.items()}


def clusters(terms: dict[str, int], people: set[str] = frozenset()) -> dict[str, str]:
    """term -> cluster name, named after its most mentioned term. `terms` maps accepted terms to
    mention counts. People's names join through shared words (a family: "Ron Weasley", "Ginny
    Weasley", "Weasley"); variants join their key ("Potters"); any other multi-word term joins the
    cluster of its first key word without merging clusters ("Quidditch Cup" -> "Quidditch")."""
    parent = {t: t for t in terms}

    def find(t: str) -> str:
        while parent[t] != t:
            parent[t] = parent[parent[t]]
            t = parent[t]
        return t

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    keys = set(terms)
    by_word: dict[str, str] = {}
    for term in sorted(terms):
        stem = base_form(term, keys)
        if stem:
            union(term, stem)
        if term in people and len(_name_words(term)) > 1:
            surname = _name_words(term)[-1]
            hit = surname if surname in keys else base_form(surname, keys)
            union(term, hit or by_word.setdefault(surname, term))
    # A first name joins its full name's family only if it has one family ("Albus" has two).
    families: dict[str, set[str]] = {}
    for term in people:
        ws = _name_words(term)
        if len(ws) > 1 and ws[0] in keys:
            families.setdefault(ws[0], set()).add(find(term))
    for first, fams in families.items():
        if len(fams) == 1:
            union(first, next(iter(fams)))
    attach = {}
    for term in sorted(terms):
        if " " in term and term not in people:
            hit = next((h for w in words(term) if (h := w if w in keys else base_form(strip_possessive(w), keys))), None)
            if hit:
                attach[term] = hit
    groups: dict[str, list[str]] = {}
    for t in terms:
        if t not in attach:
            groups.setdefault(find(t), []).append(t)
    out = {}
    for members in groups.values():
        name = min(members, key=lambda t: (-terms[t], len(t), t))
        out.update({t: name for t in members})
    for t, hit in attach.items():
        out[t] = out.get(hit, hit)
    return out
