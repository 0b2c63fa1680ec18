"""Dictionaries of a rule version built from hand-written text (no spaCy): the shared part of test_v12 and on."""

from __future__ import annotations

from anchors.build import AnchorSettings, make_dictionary
from tests.anchors.test_dictionary import mention_rows


def rule_settings(version: int) -> dict[str, str]:
    """The AnchorSettings keys that select rule version `version`."""
    return {"decision": f"decide_v{version}", "names": f"names_v{version}"}


def rules(version: int) -> AnchorSettings:
    return AnchorSettings(**rule_settings(version))


def build(version: int, text: str, spans: dict[str, str]) -> dict:
    """term -> Candidate of rule version `version` on `text`, NER's mentions being every occurrence of `spans`."""
    return make_dictionary(mention_rows(text, spans), {"d": text}, rules(version))[0]
