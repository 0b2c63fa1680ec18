"""v3 candidates beyond the mentions: invented words in any case, corpus titles stripped, names of common
words kept when the corpus uses them as names, and overrides matched case-insensitively (docs/anchors.md)."""

from __future__ import annotations

import re
from collections import Counter

from anchors.aliases import CONNECTORS
from anchors.candidates import Candidate
from anchors.heuristics import general_zipf_v1, unlisted_word
from anchors.overrides import KEEP
from anchors.terms import words


def _variants(term: str) -> set[str]:
    low = term.lower()
    return {low, low + "s", low + "es", low + "'s", low + "’s", low + "s'"}


def match_overrides(overrides: dict[str, str], terms) -> dict[str, str]:
    """term -> override value, matching case-insensitively and through plurals and possessives
    ("skyglass" covers "Skyglass", "skyglasses"; "Weasley" covers "Weasleys'")."""
    table = {}
    for key, value in overrides.items():
        for v in _variants(key):
            table.setdefault(v, (key, value))
    out = {}
    for t in terms:
        hit = table.get(t.lower())
        if hit:
            key, value = hit
            if value != KEEP and t.lower() != key.lower():  # an inflected form: inflect the replacement too
                value = value + t[len(key):] if t.lower().startswith(key.lower()) else value
            if value != KEEP and t[:1].isupper() and value[:1].islower():
                value = value[:1].upper() + value[1:]  # "skyglass = moonstone" gives "Skyglass" -> "Moonstone"
            out[t] = value
    return out


def add_invented(cands: dict[str, Candidate], counts: Counter, s, unlisted: bool = False) -> None:
    """Words general English does not know (Zipf < invented_max_zipf) that recur, in any case, as candidates;
    with `unlisted` (decide_v7) also lower-case words of Zipf 1-3 that no dictionary lists (heuristics.unlisted_word)."""
    folded: Counter = Counter()
    for w, n in counts.items():
        folded[w.lower()] += n
    for w, n in counts.items():
        if w in cands or len(w) < 4 or folded[w.lower()] < 2 or not w.isalpha():
            continue
        zipf = general_zipf_v1(w.lower())
        invented = zipf < s.invented_max_zipf or (unlisted and w.islower() and unlisted_word(w, zipf))
        if invented and (w.islower() or w.lower() in cands):
            cand = cands[w] = Candidate(w, n_mentions=n)
            cand.labels["NOUN" if w.islower() else "PROPN"] += n


def strip_titles(cands: dict[str, Candidate], titles: set[str], heads: frozenset[str] = frozenset()) -> None:
    """"Magister Oake" counts as "Oake"; a title alone stays a candidate, to be rejected as a title. A title
    before one of `heads` is a word of a thing's name, not a title ("Elder Wand" is no Elder called Wand)."""
    for term in [t for t in cands if " " in t and words(t)[0].rstrip(".") in titles]:
        rest = " ".join(words(term)[1:])
        if not rest[:1].isupper() or rest in heads:
            continue
        cand = cands.pop(term)
        into = cands.setdefault(rest, Candidate(rest))
        into.labels.update(cand.labels)
        into.n_mentions += cand.n_mentions
        into.docs |= cand.docs
        into.spots += cand.spots[: max(0, 40 - len(into.spots))]


def rescue_phrases(cands: dict[str, Candidate], contexts, texts: dict[str, str]) -> None:
    """A capitalised name of common words the corpus uses again and again, mid-sentence, and hardly ever
    in lower case, is the target's own ("the Great Hall", "the Dark Mark", "the Knight Bus")."""
    for t, c in cands.items():
        if c.accepted or " " not in t or not c.reason.startswith(("not specific", "rejected label LAW")):
            continue
        parts = words(t)
        if not all(p[:1].isupper() or p in CONNECTORS for p in parts) or len(parts) > 6:
            continue
        ctx = contexts.get(t)
        if not ctx or ctx.mid_sentence < 2 or c.n_mentions < 3:
            continue
        lower = sum(text.count(" " + t.lower() + " ") for text in texts.values())
        if lower <= 0.2 * ctx.seen:
            c.accepted, c.reason = True, f"a name of common words used {ctx.mid_sentence} times mid-sentence, {lower} in lower case"


# v14: "the Charter of Lanterns", "the Sisters of the Still Well", "the Treaty of Varnholm": a capitalised noun,
# "of", and capitalised words, written so at least twice and once mid-sentence.
OF_PHRASE = re.compile(r"\b([A-Z][a-z]+) of (the )?([A-Z][\w'’-]*(?: [A-Z][\w'’-]*){0,2})")


# v16: offices named "X of Y": "Head of House" and "Keeper of Keys" are a school's and a household's ordinary
# posts; only an invented word after "of" makes one the universe's own ("Keeper of the Varnholm Seal")
OFFICES = {"head", "keeper", "master", "mistress", "chief", "minister", "warden", "captain", "commander", "governor",
           "chancellor", "president", "director", "secretary", "clerk", "steward", "bishop", "prior", "abbot",
           "abbess", "dean", "provost", "mayor", "lord", "lady", "king", "queen", "prince", "princess", "duke",
           "duchess", "earl", "count", "countess", "marshal", "sheriff", "constable", "prefect", "heir", "champion",
           "guardian", "custodian", "protector", "defender", "speaker", "general", "admiral", "leader", "member",
           "father", "mother", "son", "daughter", "brother", "sister", "servant", "friend", "enemy"}


def of_phrases(cands: dict[str, Candidate], texts: dict[str, str], titles: set[str], level: int = 14) -> list[str]:
    """v14: names made of a noun, "of" and capitalised words that NER missed, cut short or gave a label the
    rules reject ("the Charter of Tides" as LAW), accepted; not after a title ("Head of Gryffindor" is an
    office), not naming a real place ("the Bank of England"), nor a date ("the Fifth of November"). v16: nor
    an office of English words only ("Head of House", "Keeper of Keys")."""
    from anchors.context import CALENDAR
    from anchors.evidence import real_place, real_region
    from anchors.lexicon import english_word
    from anchors.terms import is_title

    seen: Counter = Counter()
    inside: Counter = Counter()
    for text in texts.values():
        for m in OF_PHRASE.finditer(text):
            phrase = f"{m.group(1)} of {m.group(2) or ''}{m.group(3)}".strip()
            seen[phrase] += 1
            before = text[max(0, m.start() - 3):m.start()]
            inside[phrase] += bool(before.strip()) and not re.search(r"[.!?\"“”#\n]\s*$", before)
    found = []
    for phrase, n in seen.items():
        head, rest = phrase.split(" of ", 1)
        rest = rest[4:] if rest.startswith("the ") else rest
        tail = rest.split()
        if n < 2 or not inside[phrase] or head in titles or is_title(head) or head in CALENDAR \
                or any(w in CALENDAR for w in tail) or real_place(rest, level) or real_region(rest) \
                or real_region(tail[-1]) or real_place(tail[-1], level):
            continue
        if level >= 16 and head.lower() in OFFICES and all(english_word(w) for w in tail):
            continue
        if phrase in cands and cands[phrase].accepted:
            continue
        cand = cands.setdefault(phrase, Candidate(phrase, n_mentions=n, label="PROPN"))
        cand.accepted, cand.reason = True, f"a name 'X of Y' written {n} times, {inside[phrase]} mid-sentence"
        found.append(phrase)
    return found


# v16: the universe's names built on an anchored (or invented) word with an ordinary one: "House Carrow",
# "Saint Orrin", "Hobday's Bank", "the Bolters' Guild"
PREFIXED_NAME = re.compile(r"\b(House|Saint) ([A-Z][\w-]*)\b")
OWNED_NAME = re.compile(r"\b([A-Z][\w-]*?)(['’]s|s['’]) ([A-Z][a-z]+)\b")


def built_names(cands: dict[str, Candidate], texts: dict[str, str], heads: set[str], level: int = 16) -> list[str]:
    """v16: "House Carrow", "Saint Orrin" and "Hobday's Bank" / "the Bolters' Guild" (the last word a head word),
    written so twice or more, where the name word is anchored or no English word: the name as the universe
    writes it, a key of its own (a house is typed family by its first word, anchors/context.py) whose
    ordinary word stays ("House Thompson", "Saint Shawn", "Brassnail's Bank"). v17: a house or an owned name
    written once is enough when the name word is anchored ("the badge of House Morvaine", "the Emberwrights'
    Guild")."""
    from anchors.lexicon import english_word

    seen: Counter = Counter()
    name_word: dict[str, str] = {}  # phrase -> the word it is built on
    for text in texts.values():
        for m in PREFIXED_NAME.finditer(text):  # "Saint Elfrith's" with no name after it is her church
            church = m.group(1) == "Saint" and re.match(r"['’]s\b(?!\s+[A-Z])", text[m.end():m.end() + 12])
            phrase = f"{m.group(0)}{text[m.end():m.end() + 2]}" if church else m.group(0)
            seen[phrase] += 1
            name_word[phrase] = m.group(2)
        for m in OWNED_NAME.finditer(text):
            if m.group(3) in heads:  # "the Bolters' Guild" is built on "Bolters", "Hobday's Bank" on "Hobday"
                seen[m.group(0)] += 1
                name_word[m.group(0)] = m.group(1) + ("s" if m.group(2)[0] == "s" else "")
    found = []
    for phrase, n in sorted(seen.items()):
        word = name_word[phrase]
        known = word in cands and cands[word].accepted
        # (not a saint: "Saint Elfrith" once beside her church "Saint Elfrith's" would make the church a sub-key)
        once = level >= 17 and known and not phrase.startswith("Saint ")
        if n < (1 if once else 2) or (phrase in cands and cands[phrase].accepted) \
                or not (known or not english_word(word)):
            continue
        cand = cands.setdefault(phrase, Candidate(phrase, n_mentions=n, label="PROPN"))
        cand.accepted, cand.reason = True, f"a name built on {word!r}, written {n} times"
        found.append(phrase)
    return found


TITLED = re.compile(r"\b([A-Z][a-z]+)(\.?) (?=([A-Z][\w-]*)\b)")


def titled_names(texts: dict[str, str], titles: set[str], people: set[str], keys: set[str]) -> dict[str, str]:
    """v17: "Madam Pomfrey", "Uncle Vernon", "Mr. Weasley": a title the corpus uses before a word that is an
    anchored person's or family's key, as the text writes them (once is enough: the name is anchored already).
    Each becomes a key of its own whose title stays ("Madam Ayala"), so the titled name is a key as a reader
    would list it, not only through its name word. A title that is itself a key (an invented rank,
    "Lampwarden Quade") is left to the sub-key rule. Returns phrase -> the name word it is built on."""
    usable = {t for t in titles if t[:1].isupper() and " " not in t and t not in keys}
    if not usable or not people:
        return {}
    found: dict[str, str] = {}
    for text in texts.values():
        for m in TITLED.finditer(text):
            phrase = f"{m.group(1)}{m.group(2)} {m.group(3)}"
            if m.group(1) in usable and m.group(3) in people and phrase not in keys:
                found[phrase] = m.group(3)
    return dict(sorted(found.items()))


def first_names(texts: dict[str, str], surnames: set[str], titles: set[str], others: set[str]) -> dict[str, str]:
    """v18: "Lionel Ashby", "Aldous Threlkin": a given name that is no English word, written before a word that is
    an anchored person's key; once is enough ("Lionel Ashby had indeed been unwell": the rest of the corpus says
    "Ashby" and "Mr Ashby"). The full name becomes a key and the given name a given name of it. Titles,
    English words ("Old Ashby", "Afterward Avenel", "Philosopher's Stone Harry"; also "Edward", the price of
    that), stop words ("So Kestor") and words of other keys (`others`: "Kharrow Road", "Imperiused Pius
    Thicknesse") are no given names. Returns phrase -> the surname it is built on."""
    from spacy.lang.en.stop_words import STOP_WORDS

    from anchors.lexicon import english_word

    other_words = {w for t in others for w in words(t)}
    found: dict[str, str] = {}
    for text in texts.values():
        for m in TITLED.finditer(text):
            first, surname = m.group(1), m.group(3)
            if m.group(2) or surname not in surnames or first in titles or first in surnames:
                continue
            if first.lower() in STOP_WORDS or first in other_words:  # "So Kestor"; "Imperiused Pius Thicknesse"
                continue
            if not english_word(first):  # "Edward" and "Stone" are English words ("Philosopher's Stone Harry")
                found[f"{first} {surname}"] = surname
    return dict(sorted(found.items()))
