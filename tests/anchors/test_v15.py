"""decide_v15 / names_v15 on hand-written sentences (a mountain railway; no spaCy), v14 against v15: a rank
explained once as "a X" is still a rank when it stands before names on their line, and works of engineering
head places."""

from __future__ import annotations

import pytest

from anchors.context import corpus_titles, find_occurrences, read_contexts
from anchors.evidence import word_counts
from tests.anchors.versions import build

TEXT = (
    "Linesmaster Hale arrived at nine. In Carvenna a Linesmaster was neither an engineer nor a clerk. "
    "Linesmaster Hale slept by the fire. The Linesmaster woke late. Linesmaster Hale paid the men. "
    "Everyone waited for the Linesmaster. The Linesmaster said no. Nobody envied the Linesmaster. "
    "The Skelling Tunnel flooded in March. Nobody entered the Skelling Tunnel after that. "
    "Tobin Hale walked home. "
)
SPANS = {"Linesmaster Hale": "PERSON", "Skelling Tunnel": "PERSON", "Tobin Hale": "PERSON", "Carvenna": "GPE"}


@pytest.mark.parametrize("level, is_rank", [(14, False), (15, True)])
def test_a_rank_explained_once_is_still_a_rank(level, is_rank):
    texts = {"d": TEXT}
    ctx = read_contexts(find_occurrences(["Linesmaster"], texts), texts, set(), level=level)
    # v3 wants half the mentions before a name (3 of 8), v8 a role never written "a X"
    assert ctx["Linesmaster"].a == 1 and ctx["Linesmaster"].before_name_inline == 3 and ctx["Linesmaster"].seen == 8
    assert ("Linesmaster" in corpus_titles(word_counts(texts.values()), ctx, level)) is is_rank


def test_a_tunnel_is_a_place_and_the_rank_is_anchored_as_a_rank():
    text = TEXT * 2
    v14, v15 = build(14, text, SPANS), build(15, text, SPANS)
    assert v14["Skelling Tunnel"].label != "GPE" and v15["Skelling Tunnel"].label == "GPE"
    assert v15["Linesmaster"].accepted and v15["Linesmaster"].label == "TITLE"  # invented: v13's rule replaces it
    assert "Linesmaster" not in v14 or v14["Linesmaster"].label != "TITLE"
