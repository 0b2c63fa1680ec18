"""The bundled retain corpus: size and form, disjoint from the evaluation data, free of target terms."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RETAIN = ROOT / "training" / "resources" / "retain" / "corpus"
GENERAL = ROOT / "training" / "resources" / "general"
HP = ROOT / "data" / "targets" / "harry_potter"
# The retain corpora a target file can name with `[unlearn] retain_corpus` (data/README.md).
NAMES = ROOT / "data" / "retain_names"
FICTION = ROOT / "data" / "retain_fiction"

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


def _shingles(text: str, n: int = SHINGLE) -> set[tuple[str, ...]]:
    toks = _tokens(text)
    return {tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)}


@pytest.mark.parametrize("folder", [RETAIN, NAMES, FICTION], ids=["retain", "names", "fiction"])
def test_retain_corpus_size_and_form(folder):
    docs = _docs(folder)
    assert len(docs) >= 14, [d.name for d in docs]
    total = sum(len(d.read_text().split()) for d in docs)
    assert total >= 7_500, total
    for doc in docs:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.md", doc.name), doc.name
        assert doc.read_text().startswith("# "), doc.name


@pytest.mark.parametrize("folder", [RETAIN, NAMES, FICTION], ids=["retain", "names", "fiction"])
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
    found = sorted(a for a in answers if re.search(rf"\b{re.escape(a)}\b", text))
    assert found == []


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


def test_fiction_retain_corpus_names_no_evaluated_world():
    """The pretrained scenario measures the neighbouring worlds through its fact items: a retain corpus about
    fiction must keep to other works, or the retain term trains on the test. Every distinctive capitalised
    answer of those items (rare in English: "Baggins", "Gretel", "Kipling") is absent, and so is Austen,
    whose novels are the other-register perplexity set."""
    from wordfreq import zipf_frequency

    text = _fiction_text()
    answers = {
        word.strip(".,")
        for name in ("neighbour_facts", "known_facts")
        for row in _jsonl(HP / "pretrained" / f"{name}.jsonl")
        for answer in row["answers"]
        for word in answer.split()
    }
    distinctive = {w for w in answers if w[:1].isupper() and len(w) > 2 and zipf_frequency(w.lower(), "en") < 4.0}
    assert len(distinctive) >= 300  # the item files were read
    assert sorted(w for w in distinctive if re.search(rf"\b{re.escape(w)}\b", text)) == []
    assert not re.search(r"\b(Austen|Bennet|Darcy|Pemberley)\b", text)


def test_fiction_retain_corpus_has_no_fantasy():
    text = _fiction_text()
    for term in HP_NAMES:
        assert not re.search(rf"\b{term}\b", text), term
    for word in FANTASY_WORDS + ("fairy", "elf", "elves", "ghost", "ghosts", "vampire", "myth", "legend", "god",
                                 "goddess", "monster", "sorceress"):
        assert not re.search(rf"\b{word}\b", text, flags=re.IGNORECASE), word
