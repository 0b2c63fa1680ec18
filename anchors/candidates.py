"""Candidates: mentions grouped by term, with counts, one voted label, general-English Zipf and specificity."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from anchors.heuristics import heuristic
from anchors.terms import normalize

SPLIT = re.compile(r"[,;:()\[\]|/]")


@dataclass
class Candidate:
    term: str
    labels: Counter = field(default_factory=Counter)
    n_mentions: int = 0
    docs: set = field(default_factory=set)
    spots: list = field(default_factory=list)  # (doc_id, end_char) of the first mentions: gender context
    label: str = ""
    zipf: float = 0.0
    specificity: float = 0.0
    cluster: str = ""
    accepted: bool = False
    reason: str = ""
    replacement: str | None = None
    source: str = "mentions"

    def row(self, target: str, version: str) -> dict:
        return {"target": target, "anchors_version": version, "term": self.term, "label": self.label,
                "n_mentions": self.n_mentions, "n_docs": len(self.docs), "specificity": self.specificity,
                "zipf": self.zipf, "cluster": self.cluster or self.term,
                "decision": "accepted" if self.accepted else "rejected", "reason": self.reason,
                "replacement": self.replacement}


def gather(mentions, *, max_spots: int = 40) -> dict[str, Candidate]:
    """Group mention rows (dicts with doc_id, end_char, text, label) by normalised term."""
    found: dict[str, Candidate] = {}
    for m in mentions:
        # NER sometimes runs over a comma or a bracket ("Tottenham Court Road, Hermione").
        for piece in SPLIT.split(m["text"]):
            term = normalize(piece)
            if not term:
                continue
            cand = found.get(term) or found.setdefault(term, Candidate(term))
            cand.labels[m["label"]] += 1
            cand.n_mentions += 1
            cand.docs.add(m["doc_id"])
            if len(cand.spots) < max_spots:
                cand.spots.append((m["doc_id"], m["end_char"]))
    return found


def fold_sentence_case(found: dict[str, Candidate]) -> None:
    """A capitalised common noun ("Goblet" at a sentence start) counts as its lower-case form."""
    for term in [t for t in found if " " not in t and t[:1].isupper() and t[1:].islower()]:
        lower = term.lower()
        if lower in found and found[term].labels.keys() <= {"NOUN", "PROPN"} and found[lower].n_mentions >= found[term].n_mentions:
            low, cap = found[lower], found.pop(term)
            low.labels.update(cap.labels)
            low.n_mentions += cap.n_mentions
            low.docs |= cap.docs
            low.spots += cap.spots


def score(found: dict[str, Candidate], total_words: int, settings, evidence: dict[str, dict] | None = None) -> None:
    """Label vote, Zipf, specificity and the first (pre-cluster) decision of every candidate.
    `evidence` maps single-word terms to their corpus evidence (anchors/evidence.py), for v2 decisions."""
    vote = heuristic(settings.label_vote)
    zipf_of = heuristic(settings.general_zipf)
    spec = heuristic(settings.specificity)
    decide = heuristic(settings.decision)
    for cand in found.values():
        cand.label = vote(cand.labels)
        cand.zipf = round(zipf_of(cand.term), 4)
        cand.specificity = spec(cand.n_mentions, total_words, cand.zipf)
        cand.accepted, cand.reason = decide(cand.term, cand.label, cand.zipf, cand.specificity, settings,
                                            (evidence or {}).get(cand.term))
