"""The v3 and v4 dictionaries (decide_v3 + names_v3, decide_v4 + names_v4): types, genders and families read
from the corpus (docs/anchors.md).

Steps beyond v2's: invented words become candidates in any case; titles the corpus uses ("Magister Oake",
"the Magister") are found and stripped like "Professor"; each candidate is typed from its context with
the NER vote as one voice; every word of an anchored person's name is anchored on its own when it is
rare or used alone ("Potter", "Arthur", "Black"); recurring capitalised names made of common words are
kept ("Great Hall", "Dark Mark"); replacements follow the type and are seeded per word; overrides
match case-insensitively, with plurals and possessives, and their words reach into longer names.

v4 adds: titles written both before names and after "the" without the v3 majority ("Abbess"); spatial
prepositions as place evidence for terms that neither speak nor take pronouns ("from Skarholt", "in the
Brinewake"); a head word outvoting a preposition ("at Lantern Night"); plural bodies ("the Saltwardens"); and
ordinary English words that name things stay unanchored on their own ("the Guild", "the Heron").
"""

from __future__ import annotations

import re
from collections import Counter

from anchors.aliases import CONNECTORS, GIVEN, SURNAME, base_form, clusters, subkey_rejections, _name_words
from anchors.candidates import Candidate, fold_sentence_case, gather, score
from anchors.candidates_v3 import (add_invented, built_names, first_names, match_overrides, of_phrases, rescue_phrases,
                                   strip_titles, titled_names)
from anchors.context import corpus_titles, choose_type, find_occurrences, read_contexts, role_compound, type_votes
from anchors.evidence import mention_evidence, real_place, real_region, word_counts
from anchors.gender import is_known_name
from anchors.heuristics import general_zipf_v1
from anchors.naming_v3 import OBJECT, StableReplacer, draw_all, given_gender, kind_of
from anchors.overrides import KEEP
from anchors.terms import WORD, strip_possessive, words

LABEL_OF_TYPE = {"person": "PERSON", "family": "PERSON", "place": "GPE", "organisation": "ORG", "object": "PRODUCT",
                 "creature": "PRODUCT", "event": "EVENT", "title": "TITLE"}
KIND_RANK = {"PERSON": 0, "GPE": 1, "ORG": 1}
NER_TYPE = {"PERSON": "person", "GPE": "place", "LOC": "place", "FAC": "place", "ORG": "organisation",
            "PRODUCT": "object", "WORK_OF_ART": "object", "EVENT": "event"}
# v12: the feasts and seasons of real calendars, which a story set anywhere may keep ("Easter", "Michaelmas").
REAL_FESTIVALS = {"Easter", "Christmas", "Christmastide", "Michaelmas", "Lent", "Whitsun", "Whitsuntide", "Candlemas",
                  "Lammas", "Martinmas", "Advent", "Epiphany", "Pentecost", "Halloween", "Hallowe'en", "Hallowmas",
                  "Yule", "Yuletide", "Shrovetide", "Passover", "Ramadan", "Eid", "Diwali", "Hanukkah", "Lady Day",
                  "All Saints", "All Souls", "Twelfth Night", "Boxing Day", "New Year", "Midsummer", "Lughnasadh",
                  "Beltane", "Samhain", "Imbolc", "Ascension", "Assumption", "Trinity Sunday", "Palm Sunday",
                  "Good Friday", "Ash Wednesday", "Shrove Tuesday", "Maundy Thursday", "Corpus Christi"}
FAMILY_REJECTS = ("too common", "not specific", "also written in lower case", "not a proper name")


# The decisions this module builds, by rule level; each goes with its names_* twin ("decide_v4" + "names_v4").
LEVELS = {"decide_v3": 3, "decide_v4": 4, "decide_v5": 5, "decide_v6": 6, "decide_v7": 7, "decide_v8": 8, "decide_v9": 9,
          "decide_v10": 10, "decide_v11": 11, "decide_v12": 12, "decide_v13": 13, "decide_v14": 14, "decide_v15": 15,
          "decide_v16": 16, "decide_v17": 17,
          "decide_v18": 18}


def rule_level(decision: str) -> int:
    """The rule level a decision builds (3 for decide_v3 ... 15 for decide_v15; 0 for the older decisions);
    every level keeps the rules of the levels before it."""
    return LEVELS.get(decision, 0)


def make_dictionary_v3(mention_rows: list[dict], texts: dict[str, str], settings, overrides: dict[str, str] | None = None,
                       advance=lambda n=1: None) -> tuple[dict[str, Candidate], dict[str, str]]:
    from anchors.context import EVENT_WORDS, OBJECT_WORDS, ORG_WORDS, PLACE_WORDS, head_groups

    overrides = overrides or {}
    level = rule_level(settings.decision)
    counts = word_counts(texts.values())
    total_words = sum(counts.values())
    cands = gather(mention_rows)
    fold_sentence_case(cands)
    add_invented(cands, counts, settings, unlisted=level >= 7)

    # Titles first: "Magister Oake" names Oake, as "Professor Snape" names Snape.
    singles = [w for w, n in counts.items() if (n >= 3 or (level >= 8 and n >= 2 and role_compound(w, level)))
               and w[:1].isupper() and general_zipf_v1(w.lower()) < 5.5]
    person_words = frozenset(w for t, c in cands.items() if c.labels.most_common(1)[0][0] == "PERSON" for w in words(t)) \
        if level >= 4 else frozenset()
    title_ctx = read_contexts(find_occurrences(singles, texts, 60), texts, set(), person_words, level=level)
    titles = corpus_titles(counts, title_ctx, level)
    addresses = address_words(singles, texts, {w for t in cands for w in words(t) if w[:1].isupper()}, titles, counts) \
        if level >= 17 else set()
    titles |= addresses
    # the head words type_votes reads at this level; v9 keeps a title before one in the name ("Elder Wand")
    level_heads = frozenset().union(*(group for group, _ in head_groups(level)))
    strip_titles(cands, titles, level_heads if level >= 9 else frozenset())

    names = set(cands) | {w for t in cands if " " in t for w in words(t) if w[:1].isupper()}
    contexts = read_contexts(find_occurrences(names, texts), texts, titles, level=level)
    evidence = {}
    for t, c in cands.items():
        if " " not in t:
            evidence[t] = mention_evidence(t, c.spots, texts) | {"lower": counts[t.lower()], "cap": counts[t]}
        evidence.setdefault(t, {})["title"] = t in titles
    score(cands, total_words, settings, evidence)
    advance(1)
    rescue_phrases(cands, contexts, texts)
    if level >= 14:
        found = [t for t in of_phrases(cands, texts, titles, level) if t not in contexts]
        if level >= 16:
            found += [t for t in built_names(cands, texts, level_heads, level) if t not in contexts]
        contexts |= read_contexts(find_occurrences(found, texts), texts, titles, level=level)
    ranks = (invented_ranks(titles, counts, settings) | addresses) if level >= 13 else set()
    for t in ranks:  # NER may never have labelled the rank alone ("Lampwarden Quade" became "Quade")
        cands.setdefault(t, Candidate(t, n_mentions=counts[t], label="PROPN")).accepted = True
        cands[t].reason = "an invented title or rank (no dictionary lists it): replaced by an ordinary one"

    # Overrides win over every rule, matched case-insensitively and through inflections.
    matched = match_overrides(overrides, set(cands) | set(overrides))
    for term, value in matched.items():
        cand = cands.setdefault(term, Candidate(term, label="PROPN", reason=""))
        cand.accepted = value != KEEP
        cand.reason = "manual override: keep" if value == KEEP else "manual override"
        cand.source = "override"
    forced = {t for t, v in matched.items() if v != KEEP}
    kept = {t for t, v in matched.items() if v == KEEP}

    for t, c in cands.items():
        sides = t.split(" and ")
        if c.accepted and len(sides) > 1 and t not in forced and all(side in cands and cands[side].accepted for side in sides):
            c.accepted, c.reason = False, "names joined by 'and': each is a key of its own"
    types = _types(cands, contexts, counts, titles, level)
    types |= {t: "title" for t in ranks if cands[t].accepted}
    for t, typ in list(types.items()):  # NER called Surrey PERSON; its context says it is no person: a real region
        real = real_place(t, level) if level >= 11 and typ == "person" and t not in forced else None
        if real and (cands[t].labels.most_common(1)[0][0] in ("GPE", "LOC") or (level >= 16 and real == "place")) \
                and not _personal(contexts.get(t)):
            # v11: "San Francisco", typed person for its "San"; NER and a context without a person agree
            # v16: a place of geography (no city: those lists hold surnames) needs no NER vote ("since Madeira")
            typ = "place"
        region = real_region(t) if typ != "person" and t not in forced else None
        if level >= 12 and t in REAL_FESTIVALS and t not in forced:
            cands[t].accepted, cands[t].reason = False, f"a real feast or season of the calendar ({t!r})"
            del types[t]
        elif region:
            cands[t].accepted, cands[t].reason = False, f"real place (country or region {region!r})"
            del types[t]
        elif level >= 9 and typ != "person" and t not in forced:
            kind = real_place(t, level)
            # a city's name is also a surname or an estate's ("Fullerton", "Mansfield Park"): only a term
            # typed place, that is no given name and starts no longer name, is the real city
            # v10: "Vienna" is also a given name, but one that is gone to and never speaks is the city
            named = is_known_name(t) and not (level >= 10 and not _personal(contexts.get(t)))
            if kind == "place" or (kind == "city" and typ == "place" and not named
                                   and not any(k.startswith(t + " ") and cands[k].accepted for k in cands)):
                cands[t].accepted, cands[t].reason = False, f"real place ({'a city' if kind == 'city' else 'geography'}: {t!r})"
                del types[t]
    _add_family_words(cands, types, contexts, counts, titles, kept, settings)
    if level >= 4:
        _reject_common_words(cands, types, contexts, forced, settings, level, level_heads)
    accepted = {t: c for t, c in cands.items() if c.accepted}
    people = {t for t in accepted if types.get(t) in ("person", "family")}
    groups = clusters({t: c.n_mentions for t, c in accepted.items()}, people)
    totals: Counter = Counter()
    for t, g in groups.items():
        # v9: NER finds a long name once where the text has it three times ("the Guild of the Twelve Shuttles")
        seen = contexts[t].seen if level >= 9 and " " in t and t in contexts else 0
        totals[g] += max(accepted[t].n_mentions, seen)
    for t, g in groups.items():
        cands[t].cluster = g
        if totals[g] < settings.min_mentions and t not in forced:
            cands[t].accepted, cands[t].reason = False, f"too rare ({totals[g]} mention(s) in its cluster < {settings.min_mentions})"
    keys = {t for t, c in cands.items() if c.accepted}
    subkeys = {t: r for t, r in subkey_rejections(keys).items() if t not in forced}
    for t, reason in subkeys.items():
        cands[t].accepted, cands[t].reason = False, reason
    keys = {t for t, c in cands.items() if c.accepted} | set(subkeys)
    titled: dict[str, str] = {}
    if level >= 17:  # v17: "Madam Pomfrey" -> "Madam Ayala", a key of its own (candidates_v3.titled_names)
        named = {t for t in keys if " " not in t and types.get(t) in ("person", "family")}
        titled = titled_names(texts, titles, named, keys)
        for t, w in titled.items():
            _add_person_key(cands, types, texts, t, w, f"a titled name: {words(t)[0]!r} before the key {w!r} (the title stays)")
        keys |= set(titled)
    if level >= 18:  # v18: "Lionel Ashby" once, where "Ashby" is a key (candidates_v3.first_names)
        named = {t for t in keys if " " not in t and types.get(t) == "person"}
        for t, w in first_names(texts, named, titles, keys - named).items():
            if t not in keys:
                _add_person_key(cands, types, texts, t, w, f"a full name: a given name before the key {w!r}")
                keys.add(t)
    advance(1)

    # names_v3: one replacement per word, by type; people's words by role and pronoun gender.
    for t in keys:
        typ = types.get(t) or _type(t, cands[t], contexts, counts, titles, level=level)
        ner = cands[t].label
        cands[t].label = LABEL_OF_TYPE[typ]
        if ner in NER_TYPE and NER_TYPE[ner] != typ and cands[t].accepted:  # a disagreement a reviewer should see
            cands[t].reason += f"; typed {typ} from context (NER said {ner})"
    people = {t for t in keys if cands[t].label == "PERSON" and t not in titled}  # a title is nobody's given name
    surnamed = {t for t in people if " " not in t and contexts.get(t) and contexts[t].surname_titled >= max(1, 0.3 * contexts[t].seen)}
    # v16: a family's name is a surname in every form ("Marrak", "House Carrow", "the House of Tavrel"), and
    # "House" stays
    families = {t for t in keys if types.get(t) == "family"} if level >= 16 else set()
    roles = _roles(people - {t for t in families if " " in t}, cands, surnamed)
    in_full = {w for t in people if " " in t for w in _name_words(t)}
    for t in people:  # one name and no title: "Dobby", "Griphook" are called by a given name
        if " " not in t and t not in in_full and t not in surnamed and not base_form(t, keys):
            roles[t] = GIVEN
    for t in families:
        for w in _name_words(t):
            if w != "House":
                roles[w] = SURNAME
    # v8 keeps every head word type_votes reads; older levels keep their own, narrower set.
    heads = level_heads if level >= 8 \
        else PLACE_WORDS | ORG_WORDS | OBJECT_WORDS | EVENT_WORDS
    plan: dict[str, tuple[str, str]] = {}
    # A word that is a key of its own is drawn by its own type; words of longer keys only fill the gaps,
    # people's roles first ("Harry" of "Great Hall Harry" stays a given name).
    order = lambda k: (" " in k, base_form(k, keys) is not None, KIND_RANK.get(cands[k].label, 2), k)  # noqa: E731
    firsts_of: dict[str, set] = {}  # surname -> the first names it follows
    fulls_of: dict[str, list] = {}  # first name -> its full names
    for k in people:
        if " " in k:
            firsts_of.setdefault(words(k)[-1], set()).add(words(k)[0])
            fulls_of.setdefault(words(k)[0], []).append(k)
    type_of_label = {"PERSON": "person", "GPE": "place", "ORG": "organisation", **({"TITLE": "title"} if level >= 13 else {})}
    for t in sorted(keys, key=order):
        typ = type_of_label.get(cands[t].label, "object")
        for w in [titled[t]] if t in titled else _replaced_words(t, keys, roles, heads, settings.common_word_zipf):
            w = base_form(w, keys) or w
            if w in plan:
                continue
            role = roles.get(w) if typ == "person" else None
            kind = kind_of(typ, role)
            gender = "unknown"
            if kind == GIVEN:
                votes, weak, told = Counter(), Counter(), Counter()
                full = fulls_of.get(w, [])
                # "Dumbledore ... he" speaks for Albus when every full name ending in Dumbledore is Albus's.
                own = [words(k)[-1] for k in full if firsts_of.get(words(k)[-1]) == {w}]
                for term in (w, *full, *own):
                    if contexts.get(term):
                        votes.update(contexts[term].pronouns)
                        weak.update(contexts[term].any_pronouns)
                        told.update(contexts[term].gendered)
                gender = given_gender(w, votes, weak, told if level >= 6 else None, level >= 16)
            plan[w] = (kind, gender)
    taken = {w.lower() for w in counts} | {w.lower() for t in cands for w in WORD.findall(t)}
    replacer = StableReplacer(settings.seed, taken, settings.name_max_zipf)
    for value in matched.values():
        if value != KEEP:
            replacer.claim(value)
    fixed = {t.lower(): v for t, v in matched.items() if " " not in t}
    fixed |= {k.lower(): (k if v == KEEP else v) for k, v in overrides.items() if " " not in k}
    for w in list(fixed):
        plan.setdefault(w, (OBJECT, "unknown"))
    mapping = draw_all(plan, replacer, fixed)
    for t in keys:
        cands[t].replacement = matched[t] if t in forced else _replace(t, mapping, keys, fixed)
        if t not in forced:
            # a titled key records the titled name; the translation leaves its title outside the substitution,
            # so the name's own key makes it (corpus_tools/translate.py: Matcher.from_table)
            cands[t].source = "titled" if t in titled else "generated"
    advance(1)
    return dict(sorted(cands.items())), mapping


def _add_person_key(cands: dict[str, Candidate], types: dict[str, str], texts: dict[str, str], term: str, word: str,
                    reason: str) -> None:
    """An accepted key typed person that the text writes as `term`, in the cluster of the key `word` it is built on."""
    cand = cands.setdefault(term, Candidate(term, label="PROPN"))
    cand.accepted, cand.reason = True, reason
    cand.n_mentions = max(cand.n_mentions, sum(text.count(term) for text in texts.values()))
    cand.cluster = cands[word].cluster
    types[term] = "person"


TWO_NAMES = re.compile(r"\b([A-Z][\w-]*) (?=([A-Z][a-z]+)\b)")  # (lookahead: "A B C" yields A B and B C)


def address_words(singles: list[str], texts: dict[str, str], name_words: set[str], titles: set[str],
                  counts: Counter) -> set[str]:
    """v17: an invented word written before three or more different people's names on their line ("Messa
    Cateline", "Messa Isaura", "Messa Morvaine") is a form of address, whoever it is said to: no person has
    three surnames, and a place's or a body's name goes before head words, not names. `name_words`: the
    words of the candidates; the names after it must be among them and no English words, none of them after
    half of its uses before names ("Albus Dumbledore" 58 of 68: a given name), and those uses at least 30% of
    all its mentions ("Hogwarts" stands before a name now and then, in a sentence without commas)."""
    from anchors.lexicon import english_word

    words_ = {w for w in singles if w not in titles and not english_word(w) and not is_known_name(w)}
    if not words_:
        return set()
    after: dict[str, Counter] = {}
    for text in texts.values():
        for m in TWO_NAMES.finditer(text):
            if m.group(1) in words_ and m.group(2) in name_words and not english_word(m.group(2)):
                after.setdefault(m.group(1), Counter())[m.group(2)] += 1
    return {w for w, names in after.items() if len(names) >= 3 and max(names.values()) < 0.5 * sum(names.values())
            and sum(names.values()) >= 0.3 * counts[w]}


def invented_ranks(titles: set[str], counts: Counter, s) -> set[str]:
    """v13: the corpus's titles that no dictionary lists and general English hardly writes ("Lampwarden",
    "Tidereeve", "Thalarch"): the universe's own words, anchored and replaced by an ordinary office; the titles
    English has ("Harbourmaster", Zipf 1.4; "Abbess"; "Magister", Zipf 2.4) stay as v3 keeps them."""
    from anchors.lexicon import english_word

    return {t for t in titles if counts[t] >= 2 and " " not in t and t[:1].isupper() and not english_word(t)
            and general_zipf_v1(t.lower()) < s.invented_max_zipf}


def _roles(people: set[str], cands: dict[str, Candidate], surnamed: set[str]) -> dict[str, str]:
    """word -> given or surname, as name_roles but each name's vote weighs its mentions: "Sirius Black" (62)
    outvotes "James Sirius" (1)."""
    votes: dict[str, Counter] = {}
    for term in sorted(people):
        ws, n = _name_words(term), max(1, cands[term].n_mentions)
        if len(ws) > 1:
            for w in ws[:-1]:
                votes.setdefault(w, Counter())[GIVEN] += 3 * n
            votes.setdefault(ws[-1], Counter())[SURNAME] += 3 * n
        elif len(ws) == 1:
            votes.setdefault(ws[0], Counter())[GIVEN if is_known_name(ws[0]) else SURNAME] += 1
            if ws[0] in surnamed:  # "Mr. Darcy": a surname, however often "Darcy" is a first name elsewhere
                votes[ws[0]][SURNAME] += 6 * n
    return {w: max(sorted(c), key=lambda k: c[k]) for w, c in votes.items()}


def _types(cands: dict[str, Candidate], contexts, counts: Counter, titles: set[str], level: int = 3) -> dict[str, str]:
    """Types of the accepted candidates: multi-word names first (their family names co-occur), then single
    words, which learn from the person names they start or end. v5: "the Callows" beside "Idris Callow" is
    the family, whatever its articles vote."""
    accepted = [t for t, c in cands.items() if c.accepted]
    firsts: dict[str, set] = {}
    for t in accepted:
        ws = _name_words(t)
        if len(ws) in (2, 3) and len(ws) == len(words(t)):
            firsts.setdefault(ws[-1], set()).add(ws[0])
    out = {}
    for t in sorted(accepted, key=lambda k: " " not in k):
        ws = words(t)
        if len(ws) > 1:
            kin = 1 if len(firsts.get(ws[-1], ())) >= 2 and len(ws) == len(_name_words(t)) else 0
        else:
            forms = {t, t[:-1]} if level >= 4 and t.endswith("s") else {t}  # v4: "the Weasleys" are kin of "Ron Weasley"
            if level >= 9 and t.endswith("ses"):
                forms.add(t[:-2])  # v9: "the Quarleses" are kin of "Harriet Quarles"
            kin = sum(1 for k, typ in out.items() if typ == "person" and " " in k and cands[k].n_mentions >= 2
                      and forms & {words(k)[0], words(k)[-1]})
        out[t] = _type(t, cands[t], contexts, counts, titles, kin, level)
        if level >= 5 and len(ws) == 1 and t.endswith("s") and any(
                typ == "person" and " " in k and words(k)[-1] in forms - {t} for k, typ in out.items()):
            out[t] = "family"
        elif level >= 16 and len(ws) == 1 and out[t] != "person" and counts.get(t + "s", 0) and sum(
                1 for k, typ in out.items() if typ == "person" and " " in k and words(k)[-1] == t
                and cands[k].n_mentions >= 2) >= 2:
            out[t] = "family"  # v16: "Halloran" beside "the Hallorans", "Magnus Halloran" and "Wren Halloran"
    return out


def _type(term: str, cand: Candidate, contexts, counts: Counter, titles: set[str], kin: int = 0, level: int = 3) -> str:
    ctx = contexts.get(term)
    ner = Counter({k: v for k, v in cand.labels.items() if k != "PROPN"})
    votes = type_votes(term, ctx, ner, counts, is_known_name, lambda w: w in titles, kin, level)
    typ = choose_type(votes)
    if typ == "object" and term[:1].isupper() and " " not in term and ctx and ctx.the == 0 and ctx.pronouns.total() >= 2 \
            and not (level >= 16 and ctx.animal):  # v16: "the pony Moggan ... he" stays an animal
        typ = "person"  # a named creature or person without "the": "Hedwig", "Dobby"
    return typ


def _add_family_words(cands, types, contexts, counts, titles, kept, s) -> None:
    """Each word of an anchored person's full name is anchored alone when general English hardly knows it
    ("Potter", "Granger") or when the corpus uses it alone as a name, mid-sentence ("Arthur", "Black")."""
    full = [t for t, typ in types.items() if typ == "person" and len(_name_words(t)) > 1]
    owners: dict[str, list[str]] = {}
    for t in full:
        for w in _name_words(t):
            owners.setdefault(strip_possessive(w), []).append(t)
    for w, names in sorted(owners.items()):
        cand = cands.get(w)
        if (cand and cand.accepted) or w in kept or w in titles or w.lower() in CONNECTORS or real_region(w):
            continue
        if cand and not cand.reason.startswith(FAMILY_REJECTS) and cand.reason:
            continue  # rejected for a reason a family does not undo (a real place, a date, a title)
        ctx = contexts.get(w)
        rare = general_zipf_v1(w) < s.common_word_zipf
        # A common word ("Black", "Arthur") only for a character the corpus names often ("Sirius Black" 62 times),
        # not for a phrase typed person once ("Disarming Charms").
        alone = ctx is not None and ctx.alone >= 2 and sum(cands[n].n_mentions for n in names) >= 5
        if not (rare or alone) or (ctx is not None and ctx.seen and ctx.the >= 0.3 * ctx.seen):
            continue  # people are not "the X": "the Yard" of "Scotland Yard" is a place's short form
        if cand is None:
            cand = cands[w] = Candidate(w, n_mentions=counts[w])
            cand.labels["PROPN"] += counts[w]
            cand.zipf = round(general_zipf_v1(w), 4)
        cand.accepted = True
        cand.reason = f"family: a word of {names[0]!r}" + (", used alone" if alone else "")
        types[w] = "person"


def _reject_common_words(cands, types, contexts, forced: set[str], s, level: int = 4,
                         head_words: frozenset[str] = frozenset()) -> None:
    """decide_v4: an ordinary English word is no anchor on its own when it names a thing, not a person: the
    short form of a longer name ("the Abbey" of "Lirr Abbey", "the Guild") or a thing called by a common noun
    ("the Heron", a ship). Its longer names stay anchored; people ("Black", "Moody") are not touched.
    decide_v6: a short form that is an English dictionary word (anchors/lexicon.py) stays from Zipf 2.5
    ("the Clarion" of "Tallowmere Clarion", Zipf 2.9). decide_v9: a common noun typed person that is no given
    name and never part of a longer name or titled names an animal or a thing ("Ledger", a dog): stays.
    decide_v10: such a noun also when typed organisation or object and never written "the X" or "a X" ("Tally,"
    he said to the ship's computer; no pronoun is its own); a short form that is itself a head word ("the
    Hippodrome") stays whatever its Zipf. (Zipf 2.5 for the nouns was tried and dropped: WordNet's lemmas hold
    surnames such as "fawkes", and Dumbledore's phoenix lost its anchor.) `head_words` are the head words the
    type votes read at this level."""
    from anchors.lexicon import parts_of_speech

    heads: dict[str, str] = {}
    for t, c in cands.items():
        if c.accepted and " " in t and types.get(t) not in ("person", "family"):
            ws = words(t)
            heads.setdefault(ws[0] if len(ws) > 2 and ws[1] == "of" else strip_possessive(ws[-1]), t)
    in_names = {w for t, c in cands.items() if c.accepted and " " in t for w in words(t)} if level >= 9 else set()
    for t, c in cands.items():
        ctx = contexts.get(t)
        if level >= 17 and ctx is not None and ctx.vessel + ctx.animal >= max(1.0, 0.2 * ctx.seen):
            continue  # v17: a ship or an animal the text shows as one keeps its name's anchor ("the barge Patience")
        # v10: also a name typed no person for want of pronouns ("Tally," he said: a ship's computer spoken to),
        # when it is never "the X" or "a X" (places, gone to, keep their names: "Plenty")
        named = types.get(t) == "person" or (level >= 10 and types.get(t) in ("organisation", "object")
                                             and ctx is not None and ctx.the + ctx.a == 0)
        if level >= 9 and c.accepted and " " not in t and t not in forced and named \
                and _named_by_a_noun(t, ctx, in_names, s.common_noun_zipf):
            c.accepted, c.reason = False, f"an English noun naming an animal or a thing ('{t}', never in a full name " \
                                          f"or after a title; Zipf {general_zipf_v1(t.lower()):.2f}): stays"
            del types[t]
            continue
        if not c.accepted or " " in t or t in forced or types.get(t) in ("person", "family", None):
            continue
        zipf = general_zipf_v1(t.lower())
        short_word = level >= 6 and t in heads and zipf >= 2.5 and bool(parts_of_speech(t))
        short_word |= level >= 10 and t in heads and t in head_words  # v10: "the Hippodrome", whatever its Zipf
        if (zipf < s.common_noun_zipf and not short_word) or "-" in t:  # "Time-Turner": wordfreq scores a compound by its parts
            continue
        if t in heads:
            c.accepted, c.reason = False, f"short form of {heads[t]!r}: an English word (Zipf {zipf:.2f}), stays"
        elif ctx is not None and ctx.seen and ctx.the + ctx.a >= 0.5 * ctx.seen:
            c.accepted, c.reason = False, f"a common English noun naming a thing ('the {t}', Zipf {zipf:.2f}): stays"
        else:
            continue
        del types[t]


def _personal(ctx) -> bool:
    """Whether a term's context has anything only people have: a title, a person verb, a subject pronoun."""
    return ctx is not None and ctx.titled + ctx.speech + ctx.pronouns.total() > 0


def _named_by_a_noun(term: str, ctx, in_names: set[str], common_zipf: float) -> bool:
    """decide_v9: a word typed person that is a common English noun ("Ledger", "Biscuit", "Kestrel") and no
    given name, never part of a longer name ("Agnes Moss") nor after a title ("Goodman Reed"): a dog, a ship
    or a horse called by a common word, which stays. People with such names are also named in full."""
    from anchors.lexicon import parts_of_speech

    if term in in_names or is_known_name(term) or "noun" not in parts_of_speech(term):
        return False
    if general_zipf_v1(term.lower()) < common_zipf:
        return False
    return ctx is None or ctx.titled == 0


def _replaced_words(term: str, keys: set[str], roles: dict[str, str], heads: set[str], common_zipf: float) -> list[str]:
    """Which words of a key get their own replacement: names, keys, rare words; never a head word of a
    multi-word name ("Guild", "Quay"), never function words; at least one word, and never a function word first."""
    parts = [strip_possessive(w) for w in words(term)]
    if len(parts) == 1:
        return parts
    chosen = [w for w in parts if w in roles or w in keys or base_form(w, keys)
              or (w not in heads and w.lower() not in CONNECTORS and general_zipf_v1(w) < common_zipf)]
    if not chosen:
        chosen = [next((w for w in parts if w.lower() not in CONNECTORS and w not in heads), parts[0])]
    return chosen


def _replace(term: str, mapping: dict[str, str], keys: set[str], fixed: dict[str, str]) -> str:
    out = []
    for w in words(term):
        core = strip_possessive(w)
        suffix = w[len(core):]
        if suffix == "s":
            core, suffix = w[:-1], "s"
        base = base_form(core, keys)
        if core in mapping:
            out.append(mapping[core] + suffix)
        elif base and base in mapping:
            from anchors.replacements import pluralize
            out.append(pluralize(mapping[base]) + suffix)
        elif core.lower() in fixed:
            out.append(fixed[core.lower()] + suffix)
        else:
            out.append(w)
    return " ".join(out)
