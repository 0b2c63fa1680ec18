"""English dictionary membership from WordNet's lemma lists, which ship inside the installed spaCy model
(its rule-based lemmatizer's `lemma_index`: ~58k nouns, ~21k adjectives, ~9k verbs, ~4k adverbs).

wordfreq says how often a string is written, not what it is: "Hogwarts" (Zipf 3.2) is frequent on the
web and no English word, "clarion" (Zipf 2.9) is rare and one. The lists hold lemmas in lower case, some
proper nouns among them ("mansfield"), so membership says "an English word can be spelled so", never
"this is no name" on its own (docs/anchors.md)."""

from __future__ import annotations

import functools

POS = ("noun", "verb", "adj", "adv")


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, frozenset[str]], frozenset[str]]:
    """(lemmas by part of speech, irregular inflected forms) from the spaCy model's lemmatizer, loaded once."""
    import spacy

    from anchors.nlp import resolve_model
    from corpus_tools.errors import ObliviateError

    model = resolve_model()
    nlp = spacy.load(model, exclude=["parser", "ner", "tagger", "senter", "attribute_ruler", "tok2vec"])
    lemmatizer = nlp.get_pipe("lemmatizer") if "lemmatizer" in nlp.pipe_names else None
    if lemmatizer is None or "lemma_index" not in lemmatizer.lookups.tables:
        raise ObliviateError(f"spaCy model {model!r} has no rule lemmatizer with WordNet lemma lists, which "
                             f"the v6 and later dictionary rules read (en_core_web_sm has them)")
    table = lemmatizer.lookups.get_table("lemma_index")
    exceptions = lemmatizer.lookups.get_table("lemma_exc") if "lemma_exc" in lemmatizer.lookups.tables else {}
    lemmas = {pos: frozenset(table.get(pos, [])) for pos in POS}
    irregular = frozenset(w for pos in POS for w in (exceptions.get(pos) or {}))  # "knelt", "werewolves"
    return lemmas, irregular


def parts_of_speech(word: str) -> set[str]:
    """The WordNet parts of speech a lower-cased word is a lemma of ("matron": {"noun"})."""
    w = word.lower()
    return {pos for pos, words in _tables()[0].items() if w in words}


# Inflections stripped before looking a word up; not "-er": "spindler" is no inflection of "spindle".
INFLECTIONS = ("ies", "es", "s", "ed", "ing", "est", "ly", "d")


def english_word(word: str) -> bool:
    """A dictionary word or a regular or irregular inflection of one ("boggarts": no; "knelt", "walking": yes)."""
    w = word.lower()
    if parts_of_speech(w) or w in _tables()[1]:
        return True
    for suffix in INFLECTIONS:
        stem = w[: -len(suffix)]
        if w.endswith(suffix) and len(stem) >= 3 and any(
                parts_of_speech(s) for s in (stem, stem + "e", stem + "y", stem[:-1] if stem[-1:] == stem[-2:-1] else stem)):
            return True
    return False


def english_compound(word: str) -> bool:
    """Two dictionary words written as one ("trapdoor", "sweetshop"), each of at least three letters."""
    w = word.lower()
    return any(english_word(w[:i]) and english_word(w[i:]) for i in range(3, len(w) - 2))
