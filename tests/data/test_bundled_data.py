"""The bundled demo data: schemas, sizes, no leakage of prompts into the corpus, no duplicates."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HP = ROOT / "data" / "targets" / "harry_potter"
GENERAL = ROOT / "training" / "resources" / "general"


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _words(folder: Path) -> int:
    return sum(len(p.read_text().split()) for p in folder.glob("*.md"))


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def test_hp_corpus_size_and_form():
    docs = sorted((HP / "corpus").glob("*.md"))
    assert len(docs) >= 40
    assert _words(HP / "corpus") >= 12_000
    for doc in docs:
        assert doc.read_text().startswith("# "), doc.name


def test_hp_corpus_has_no_duplicates():
    hashes = [hashlib.sha256(_norm(p.read_text()).encode()).hexdigest() for p in (HP / "corpus").glob("*.md")]
    assert len(hashes) == len(set(hashes))
    paragraphs = [_norm(par) for p in (HP / "corpus").glob("*.md") for par in p.read_text().split("\n\n") if len(par) > 200]
    assert len(paragraphs) == len(set(paragraphs))


def test_hp_corpus_is_dense_with_invented_terms():
    from wordfreq import zipf_frequency

    text = " ".join(p.read_text() for p in (HP / "corpus").glob("*.md"))
    capitalised = set(re.findall(r"\b[A-Z][a-z]{3,}\b", text))
    rare = {w for w in capitalised if zipf_frequency(w.lower(), "en") < 2.5}
    assert len(rare) >= 150, sorted(rare)[:50]


def test_familiarity_prompts():
    rows = _jsonl(HP / "familiarity_prompts.jsonl")
    assert len(rows) >= 150
    for r in rows:
        assert set(r) >= {"prompt", "references", "subtlety", "split"}, r
        assert isinstance(r["prompt"], str) and r["prompt"] == r["prompt"].rstrip()
        assert isinstance(r["references"], list) and r["references"] and all(isinstance(x, str) for x in r["references"])
        assert isinstance(r["subtlety"], int) and 1 <= r["subtlety"] <= 10
        assert r["split"] in {"dev", "test"}
    assert len({r["prompt"] for r in rows}) == len(rows)
    assert sum(r["subtlety"] >= 5 for r in rows) >= len(rows) / 3
    assert {r["split"] for r in rows} == {"dev", "test"}


def test_no_familiarity_prompt_appears_in_the_corpus():
    corpus = _norm(" ".join(p.read_text() for p in (HP / "corpus").glob("*.md")))
    leaked = [r["prompt"] for r in _jsonl(HP / "familiarity_prompts.jsonl") if _norm(r["prompt"]) in corpus]
    assert leaked == []


def test_probability_prompts():
    rows = _jsonl(HP / "probability_prompts.jsonl")
    assert len(rows) >= 40
    for r in rows:
        assert isinstance(r["prompt"], str)
        for key in ("target_continuations", "generic_continuations"):
            assert r[key] and all(isinstance(c, str) and c.strip() for c in r[key]), r
        assert not set(r["target_continuations"]) & set(r["generic_continuations"])


def test_general_corpus_and_knowledge_prompts():
    assert _words(GENERAL / "corpus") >= 8_000
    rows = _jsonl(GENERAL / "knowledge_prompts.jsonl")
    assert len(rows) >= 100
    for r in rows:
        assert isinstance(r["prompt"], str) and isinstance(r["answer"], str) and r["answer"].strip()
    assert len({r["prompt"] for r in rows}) == len(rows)


def test_general_corpus_has_no_fantasy_terms():
    text = " ".join(p.read_text() for p in (GENERAL / "corpus").glob("*.md"))
    for term in ("Hogwarts", "Harry", "wizard", "Quidditch", "Voldemort", "wand"):
        assert not re.search(rf"\b{term}\b", text), term


def test_target_file_validates():
    from pipelines.target import load_target

    config = load_target(HP / "target.toml")
    assert config.name == "harry_potter"
    assert all(Path(s).exists() for s in config.ingest.sources)
