"""The inputs of the evaluate stage: prompt sets, the general corpus, anchor terms, the held-back translation.

Missing prompt files are allowed (those metrics are skipped: a new target may only measure
retention); malformed lines are errors naming the file and line.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from corpus_tools.errors import ObliviateError
from corpus_tools.store import Artifact, Store
from corpus_tools.jsonl import numbered_rows
from training.fact_items import known, known_by_base, read_items

FAMILIARITY_FILE = "familiarity_prompts.jsonl"
PROBABILITY_FILE = "probability_prompts.jsonl"
KNOWLEDGE_FILE = "knowledge_prompts.jsonl"
GENERAL_SUFFIXES = {".md", ".txt"}
# Package data (training/resources/): found the same way in a checkout and in an installed wheel (docs/install.md).
DEFAULT_GENERAL = Path(__file__).resolve().parent / "resources" / "general"


@dataclass
class EvalData:
    familiarity: list[dict] = field(default_factory=list)
    probability: list[dict] = field(default_factory=list)
    knowledge: list[dict] = field(default_factory=list)
    general_texts: list[str] = field(default_factory=list)
    heldout_texts: list[str] = field(default_factory=list)
    anchor_terms: list[str] = field(default_factory=list)
    # fact file stem -> every item of the file; those with known_by_base false are completed too, for the accuracy
    # over every item written (training/evaluate.py, fact_accuracy), and never followed by the relearning attack
    facts: dict[str, list[dict]] = field(default_factory=dict)
    lexicon: object | None = None  # a training.lexicon.Lexicon when the prompts folder has lexicon.jsonl
    hashes: dict[str, str] = field(default_factory=dict)  # content hashes: part of the artifact version

    def counts(self) -> dict[str, list]:
        return {"familiarity": self.familiarity, "probability": self.probability, "knowledge": self.knowledge,
                **{f"facts:{k}": v for k, v in self.facts.items()},
                "general_texts": self.general_texts, "heldout_texts": self.heldout_texts}


def read_jsonl(path: Path, required: tuple[str, ...]) -> list[dict]:
    return [row for _, row in numbered_rows(path, required)]


def heldout(doc_id: str, share: float) -> bool:
    """Stable choice of held-back documents: the doc_id's hash falls in the first `share` of the range."""
    return int(hashlib.sha256(doc_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < share


def load_eval_data(store: Store, prompts_dir: Path, general_dir: Path, anchors: Artifact | None,
                   translation: Artifact | None, heldout_share: float = 0.2, fact_files: list[str] = ()) -> EvalData:
    data = EvalData()
    _load_facts_and_lexicon(data, prompts_dir, fact_files)
    for name, attr, required in ((FAMILIARITY_FILE, "familiarity", ("prompt",)),
                                 (PROBABILITY_FILE, "probability", ("prompt", "target_continuations", "generic_continuations"))):
        path = prompts_dir / name
        if path.exists():
            setattr(data, attr, read_jsonl(path, required))
            data.hashes[name] = _hash(path.read_bytes())
    if (path := general_dir / KNOWLEDGE_FILE).exists():
        data.knowledge = read_jsonl(path, ("prompt", "answer"))
        data.hashes[KNOWLEDGE_FILE] = _hash(path.read_bytes())
    corpus = general_dir / "corpus"
    files = sorted(p for p in corpus.glob("*") if p.suffix in GENERAL_SUFFIXES) if corpus.is_dir() else []
    data.general_texts = [p.read_text(encoding="utf-8") for p in files]
    if files:
        data.hashes["general_corpus"] = _hash("\0".join(data.general_texts).encode())
    if anchors is not None:
        data.anchor_terms = [t for t in store.read("anchors", anchors, columns=["term"]).column("term").to_pylist() if t]
    if translation is not None:
        docs = sorted(store.read("translated_documents", translation, columns=["doc_id", "text"]).to_pylist(),
                      key=lambda d: d["doc_id"])
        held = [d["text"] for d in docs if heldout(d["doc_id"], heldout_share)]
        if not held and docs:  # a tiny corpus still gets one held-back document
            held = [docs[-1]["text"]]
        data.heldout_texts = held
    return data


def fact_paths(prompts_dir: Path, fact_files) -> list[Path]:
    """The fact files' paths (relative to the prompts folder); one error line for the first that does not exist."""
    paths = [Path(prompts_dir) / name for name in fact_files]
    for path in paths:
        if not path.is_file():
            raise ObliviateError(f"evaluate.fact_files: {path} does not exist")
    return paths


def _load_facts_and_lexicon(data: EvalData, prompts_dir: Path, fact_files) -> None:
    """Completion fact files (relative to the prompts folder; every item is kept: the accuracy the bounds judge is
    over the items the base model knows, and the one over every item written sits beside it, docs/pretrained.md)
    and the hand-written lexicon that grades familiarity apart from the dictionary."""
    from training.lexicon import Lexicon, find_lexicon

    for path in fact_paths(prompts_dir, fact_files):
        data.facts[path.stem] = read_items(path)
        data.hashes[f"facts:{path.stem}"] = _hash(path.read_bytes())
    if (path := find_lexicon(prompts_dir)) is not None:
        data.lexicon = Lexicon.load(path)
        data.hashes["lexicon"] = _hash(path.read_bytes())


def known_facts(facts: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Per fact file, the items the base model knows (an item without `known_by_base` counts as known)."""
    return {stem: known(items) for stem, items in facts.items()}


def unknown_stems(facts: dict[str, list[dict]]) -> set[str]:
    """The fact files holding items the base model does not know: for them the accuracy over every item is measured
    beside the one over the known items."""
    return {stem for stem, items in facts.items() if any(not known_by_base(i) for i in items)}


def _hash(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()[:16]
