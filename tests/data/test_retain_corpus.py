"""The bundled retain corpus: size and form, disjoint from the evaluation data, free of target terms."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from training.self_retain import read_seeds

ROOT = Path(__file__).resolve().parents[2]
RETAIN = ROOT / "training" / "resources" / "retain" / "corpus"
GENERAL = ROOT / "training" / "resources" / "general"
HP = ROOT / "data" / "targets" / "harry_potter"
# The retain corpora a target file can name with `[unlearn] retain_corpus` (data/README.md).
NAMES = ROOT / "data" / "retain_names"
FICTION = ROOT / "data" / "retain_fiction"
LEGENDS = ROOT / "data" / "retain_legends"
# The neighbouring-world topics of the pretrained target's fact items that retain_legends is about; the
# others are the worlds it must not mention, so their items measure whether its protection generalises.
LEGENDS_COVER = {"greek", "roman", "norse", "egypt", "arthurian"}

SHINGLE = 8

# The same terms the general-corpus test forbids (tests/data/test_bundled_data.py), case-sensitive, whole word.
GENERAL_FANTASY_TERMS = ("Hogwarts", "Harry", "wizard", "Quidditch", "Voldemort", "wand")

# Names from the target universe: case-sensitive, whole word.
HP_NAMES = (
    "Harry", "Potter", "Hogwarts", "Weasley", "Granger", "Hermione", "Dumbledore", "Voldemort", "Quidditch",
    "Gryffindor", "Slytherin", "Hufflepuff", "Ravenclaw", "Hagrid", "Snape", "Malfoy", "Muggle", "Muggles",
    "Azkaban", "Gringotts", "Hedwig", "Horcrux", "Dementor", "Dementors", "Patronus", "Diagon", "Hogsmeade",
    "Sirius", "Lupin", "McGonagall",
)

# Ordinary words tied to the target universe: case-insensitive, whole word (plurals included).
FANTASY_WORDS = (
    "wizard", "wizards", "witch", "witches", "wand", "wands", "spell", "spells", "potion", "potions",
    "magic", "magical", "owl", "owls", "dragon", "dragons", "broomstick", "broomsticks", "castle", "castles",
    "sorcerer", "sorcery", "enchanted", "curse", "cursed", "chess",
)


def _docs(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.md"))


def _retain_text() -> str:
    return "\n".join(p.read_text() for p in _docs(RETAIN))


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _tokens(text: str) -> list[str]:
    """Lowercased words with punctuation stripped (apostrophes dropped inside words)."""
    return re.findall(r"[a-z0-9]+", text.lower().replace("'", ""))


def _found(words: set[str], text: str) -> list[str]:
    """The words that occur in `text` as whole words (case-sensitive), sorted."""
    return sorted(w for w in words if re.search(rf"\b{re.escape(w)}\b", text))


def _shingles(text: str, n: int = SHINGLE) -> set[tuple[str, ...]]:
    toks = _tokens(text)
    return {tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)}


@pytest.mark.parametrize("folder,min_docs", [(RETAIN, 14), (NAMES, 14), (FICTION, 14), (LEGENDS, 12)],
                         ids=["retain", "names", "fiction", "legends"])
def test_retain_corpus_size_and_form(folder, min_docs):
    docs = _docs(folder)
    assert len(docs) >= min_docs, [d.name for d in docs]
    total = sum(len(d.read_text().split()) for d in docs)
    assert total >= 7_500, total
    for doc in docs:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.md", doc.name), doc.name
        assert doc.read_text().startswith("# "), doc.name


@pytest.mark.parametrize("folder", [RETAIN, NAMES, FICTION, LEGENDS], ids=["retain", "names", "fiction", "legends"])
def test_retain_docs_are_distinct(folder):
    docs = _docs(folder)
    titles = [d.read_text().splitlines()[0] for d in docs]
    assert len(set(titles)) == len(titles)
    paragraphs = [par.strip() for d in docs for par in d.read_text().split("\n\n") if len(par) > 200]
    assert len(paragraphs) == len(set(paragraphs))


def test_no_retain_shingle_in_general_corpus_or_knowledge_prompts():
    evaluation: set[tuple[str, ...]] = set()
    for doc in _docs(GENERAL / "corpus"):
        evaluation |= _shingles(doc.read_text())
    for row in _jsonl(GENERAL / "knowledge_prompts.jsonl"):
        evaluation |= _shingles(row["prompt"] + " " + row["answer"])
    assert evaluation  # the evaluation data was found
    shared = {d.name: sorted(" ".join(s) for s in _shingles(d.read_text()) & evaluation) for d in _docs(RETAIN)}
    assert {k: v for k, v in shared.items() if v} == {}


def test_no_capitalised_knowledge_answer_in_retain_corpus():
    text = _retain_text()
    answers = {
        r["answer"] for r in _jsonl(GENERAL / "knowledge_prompts.jsonl") if len(r["answer"]) >= 4 and r["answer"][0].isupper()
    }
    assert len(answers) >= 40  # capitals, planets, months, people...
    assert _found(answers, text) == []


def test_retain_corpus_has_no_fantasy_terms():
    text = _retain_text()
    for term in GENERAL_FANTASY_TERMS + HP_NAMES:
        assert not re.search(rf"\b{term}\b", text), term
    for word in FANTASY_WORDS:
        assert not re.search(rf"\b{word}\b", text, flags=re.IGNORECASE), word


def test_retain_corpus_shares_no_rare_name_with_the_target_corpus():
    """A capitalised word that is rare in English and occurs in the target corpus is an invented name: keep them out."""
    from wordfreq import zipf_frequency

    target = " ".join(p.read_text() for p in _docs(HP / "corpus"))
    target_names = set(re.findall(r"\b[A-Z][a-z]{3,}\b", target))
    retain_names = set(re.findall(r"\b[A-Z][a-z]{3,}\b", _retain_text()))
    shared_rare = sorted(w for w in retain_names & target_names if zipf_frequency(w.lower(), "en") < 3.0)
    assert shared_rare == []


def _fiction_text() -> str:
    return "\n".join(p.read_text() for p in _docs(FICTION))


def _distinctive_answers(keep=lambda name, row: True) -> set[str]:
    """Capitalised answer words of the pretrained target's fact items that are rare in English ("Baggins",
    "Gretel", "Kipling"), of the rows `keep` accepts."""
    from wordfreq import zipf_frequency

    answers = {
        word.strip(".,")
        for name in ("neighbour_facts", "known_facts")
        for row in _jsonl(HP / "pretrained" / f"{name}.jsonl") if keep(name, row)
        for answer in row["answers"]
        for word in answer.split()
    }
    return {w for w in answers if w[:1].isupper() and len(w) > 2 and zipf_frequency(w.lower(), "en") < 4.0}


def test_fiction_retain_corpus_names_no_evaluated_world():
    """The pretrained scenario measures the neighbouring worlds through its fact items: a retain corpus about
    fiction must keep to other works, or the retain term trains on the test. Every distinctive capitalised
    answer of those items is absent, and so is Austen, whose novels are the other-register perplexity set."""
    text = _fiction_text()
    distinctive = _distinctive_answers()
    assert len(distinctive) >= 300  # the item files were read
    assert _found(distinctive, text) == []
    assert not re.search(r"\b(Austen|Bennet|Darcy|Pemberley)\b", text)


def test_fiction_retain_corpus_has_no_fantasy():
    text = _fiction_text()
    for term in HP_NAMES:
        assert not re.search(rf"\b{term}\b", text), term
    for word in FANTASY_WORDS + ("fairy", "elf", "elves", "ghost", "ghosts", "vampire", "myth", "legend", "god",
                                 "goddess", "monster", "sorceress"):
        assert not re.search(rf"\b{word}\b", text, flags=re.IGNORECASE), word


def test_legends_retain_corpus_keeps_to_the_worlds_it_covers():
    """retain_legends is about five traditions of myth and legend (LEGENDS_COVER). The scored fact items
    (those the base model knows) of every other neighbouring world, and the Harry Potter items, must find
    none of their distinctive answers in it: they measure whether keeping those traditions keeps the rest,
    and whether it brings back the target. (Unscored items may share a myth's own names: Harry Potter's
    "Minerva" and "Lucius" are Roman names, Percy Jackson's "Olympians" Greek.)"""
    text = "\n".join(p.read_text() for p in _docs(LEGENDS))
    scored = lambda row: row.get("known_by_base")
    elsewhere = _distinctive_answers(lambda name, row: scored(row) and (name == "known_facts" or row["topic"] not in LEGENDS_COVER))
    covered = _distinctive_answers(lambda name, row: scored(row) and name == "neighbour_facts" and row["topic"] in LEGENDS_COVER)
    assert len(elsewhere) >= 40 and len(covered) >= 20  # the item files were read
    # an answer shared by a covered world and another one ("Merlin") belongs to the covered world
    assert _found(elsewhere - covered, text) == []
    assert len(_found(covered, text)) >= 15  # and it is about the worlds it covers
    for term in HP_NAMES + ("Tolkien", "Narnia", "Gandalf", "Hobbit", "Hogwarts", "Grimm", "Hood"):
        assert not re.search(rf"\b{term}\b", text), term


@pytest.mark.parametrize("folder,seeds,min_samples", [("retain_self", "retain_seeds.txt", 150),
                                                      ("retain_worlds", "retain_seeds_worlds.txt", 90)])
def test_self_samples_never_restate_the_target(folder, seeds, min_samples):
    """data/retain_self and data/retain_worlds are the pretrained subject's own text (`obliviate self-samples`,
    data/README.md): the samples naming a dictionary term were dropped, so no Harry Potter name and no
    distinctive answer of a Harry Potter item that is not also a neighbouring world's appears; the openings
    are all it was given."""
    files = sorted((ROOT / "data" / folder).iterdir())
    assert files and all(re.fullmatch(r"samples_\d{3}\.txt", f.name) for f in files)
    samples = [s for f in files for s in f.read_text().split("\n\n") if s.strip()]
    assert len(samples) >= min_samples
    openings = read_seeds(ROOT / "data" / seeds)
    assert sum(s.startswith(tuple(openings)) for s in samples) >= min_samples  # the first paragraph of each sample
    text = "\n".join(samples)
    assert [t for t in HP_NAMES if re.search(rf"\b{t}\b", text)] == []
    scored = lambda row: row.get("known_by_base")
    hp = _distinctive_answers(lambda name, row: scored(row) and name == "known_facts")
    neighbours = _distinctive_answers(lambda name, row: scored(row) and name == "neighbour_facts")
    assert len(hp - neighbours) >= 10
    assert _found(hp - neighbours, text) == []


def _item_endings() -> list[str]:
    """Each fact item's prompt's last two words followed by an answer's first word, as " w1 w2 w3 "."""
    return [f" {' '.join(_tokens(row['prompt'])[-2:] + _tokens(answer)[:1])} "
            for name in ("neighbour_facts", "known_facts") for row in _jsonl(HP / "pretrained" / f"{name}.jsonl")
            for answer in row["answers"]]


def _completes_an_item(opening: str, endings: list[str]) -> bool:
    """Whether `opening` holds an item's prompt end followed by its answer (whole words, in any case): an
    opening that would teach the item's answer itself."""
    text = f" {' '.join(_tokens(opening))} "
    return any(ending in text for ending in endings)


@pytest.mark.parametrize("seeds,completing", [
    # written before this rule: three openings complete a common phrase that is also an item
    ("retain_seeds.txt", {"Once upon a time, in a faraway kingdom,", "The knights of the Round Table",
                          "The goddess of wisdom"}),
    ("retain_seeds_worlds.txt", set()),
])
def test_seed_openings_give_no_answer(seeds, completing):
    """The openings of `obliviate self-samples` must not hand over an evaluation item: no distinctive answer
    of any scored item, and (beyond the three common phrases listed) no item's prompt end followed by its
    answer. What the subject writes after an opening is its own."""
    openings = read_seeds(ROOT / "data" / seeds)
    assert len(openings) >= 25 and len(set(openings)) == len(openings)
    answers = _distinctive_answers(lambda name, row: row.get("known_by_base"))
    assert len(answers) >= 60  # the item files were read
    assert [o for o in openings if _found(answers, o)] == []
    endings = _item_endings()
    assert {o for o in openings if _completes_an_item(o, endings)} == completing
    assert _completes_an_item("The Lord of the Rings", endings)  # the check bites
    assert not _completes_an_item("The Lord of the", endings)


def test_the_selection_file_shares_only_the_documented_answers_with_the_fiction_retain_corpus():
    """`select_neighbours.jsonl` was written after `retain_fiction` and not checked against it: 11 of its known dev
    items ask for an answer that corpus states ("Les Misérables was written by Victor" -> Hugo). Every recipe compared
    on the file trains on that corpus, so its comparisons stand, but its absolute figure flatters (docs/pretrained.md,
    "Every item written"). This pins the overlap to those items: no new one may join them unseen."""
    from wordfreq import zipf_frequency

    text = _fiction_text()
    overlap = {}
    for row in _jsonl(HP / "pretrained" / "select_neighbours.jsonl"):
        words = {w.strip(".,") for a in row["answers"] for w in a.split()}
        rare = {w for w in words if w[:1].isupper() and len(w) > 2 and zipf_frequency(w.lower(), "en") < 4.0}
        if row.get("known_by_base") and row["split"] == "dev" and _found(rare, text):
            overlap[row["prompt"]] = row["answers"][0]
    assert len(overlap) == 11
    assert set(overlap.values()) == {"Hugo", "Dumas", "Cristo", "Dickens", "Brontë", "Fitzgerald", "Christie",
                                     "Dostoevsky", "Steinbeck"}
