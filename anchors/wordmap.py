"""From accepted terms to one replacement per term, through one replacement per distinctive word."""

from __future__ import annotations

from spacy.lang.en.stop_words import STOP_WORDS

from anchors.aliases import CONNECTORS, GIVEN, SURNAME, base_form
from anchors.gender import guess
from anchors.heuristics import general_zipf_v1
from anchors.replacements import PLACE, THING, Replacer, pluralize
from anchors.terms import strip_possessive, words

PLACE_LABELS = {"GPE", "LOC", "FAC", "ORG"}
KIND_RANK = {GIVEN: 0, SURNAME: 0, PLACE: 1, THING: 2}


def _kind_for(label: str) -> str:
    return PLACE if label in PLACE_LABELS else THING


def word_kinds(terms: dict[str, str], roles: dict[str, str], common_zipf: float,
               place_heads: frozenset = frozenset()) -> dict[str, str]:
    """word -> kind for every word that gets its own replacement. `terms` maps term -> label.

    A word is distinctive when it is a key itself, a word of a person's name, or rare in general
    English; a term with no distinctive word gets its first word replaced, so every replacement
    starts or continues with a name, never only with common words. The last word of a place's name
    stays when it is a place head (names_v2: "Northanger Abbey" -> "Ashby Abbey")."""
    keys = set(terms)
    kinds = {w: r for w, r in roles.items()}
    for term in sorted(terms):
        kind = _kind_for(terms[term])
        parts = [strip_possessive(w) for w in words(term)]
        head = parts[-1] if len(parts) > 1 and parts[-1] in place_heads and parts[-1] not in keys else None
        chosen = [w for w in parts if w in kinds or w in keys or base_form(w, keys)
                  or (w != head and w.lower() not in STOP_WORDS and w.lower() not in CONNECTORS
                      and general_zipf_v1(w) < common_zipf)]
        if not chosen:
            chosen = [next((w for w in parts if w.lower() not in STOP_WORDS), parts[0])]
        if parts[0].lower() in STOP_WORDS and parts[0] not in chosen:
            chosen.append(parts[0])  # a replacement must not start with a function word
        for w in chosen:
            w = base_form(w, keys) or w  # "Dementors" is drawn as "Dementor" and pluralised
            if w not in kinds or KIND_RANK[kind] < KIND_RANK[kinds[w]]:
                kinds[w] = kind
    return kinds


def draw_words(kinds: dict[str, str], replacer: Replacer, contexts: dict[str, list[str]],
               fixed: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(word -> replacement, given name -> gender). `fixed` holds single-word overrides, used as is."""
    out, genders = dict(fixed), {}
    for w in sorted(kinds):
        if w in out:
            continue
        gender = "unknown"
        if kinds[w] == GIVEN:
            gender = genders[w] = guess(w, contexts.get(w, []))
        out[w] = replacer.draw(w, kinds[w], gender)
    return out, genders


def replace_term(term: str, mapping: dict[str, str]) -> str:
    """The term with every mapped word replaced; possessives and plurals follow their stem."""
    keys = set(mapping)
    out = []
    for w in words(term):
        core = strip_possessive(w)
        suffix = w[len(core):] if core != w else ""
        if suffix == "s":  # "Dursleys'" strips to "Dursleys": the plural is in core already
            core, suffix = w[:-1], w[-1:]
        base = base_form(core, keys)
        if base:
            out.append(pluralize(mapping[base]) + suffix)
        else:
            out.append(mapping.get(core, core) + suffix)
    return " ".join(out)
