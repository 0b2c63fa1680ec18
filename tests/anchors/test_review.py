"""The review functions behind the anchors summary, `explain` and `diff` (anchors/review.py)."""

from __future__ import annotations

from anchors.review import diff_rows, explain_text, summary_rows, summary_text, suspicious


def row(term, decision="accepted", n=5, zipf=1.0, reason="specific name", replacement="X", label="PERSON"):
    return {"term": term, "decision": decision, "n_mentions": n, "zipf": zipf, "specificity": 3.0, "reason": reason,
            "replacement": replacement if decision == "accepted" else None, "label": label, "cluster": term}


ROWS = [row("Oriel", n=40, replacement="Sophie"), row("Corrowen", n=20, replacement="Ashby", label="GPE",
                                                        reason="specific name; typed place from context (NER said PERSON)"),
        row("skyglass", "rejected", n=12, zipf=0.0, reason="English word derived from 'sky glass'"),
        row("London", "rejected", n=30, zipf=5.3, reason="too common in general English (Zipf 5.30 >= 5.0)"),
        row("Guild", n=9, zipf=3.9, replacement="Mccann"), row("Professor", n=3, zipf=4.5, replacement="Tiffany"),
        row("Oriel Vantreck", "rejected", n=8, reason="sub-key rule: made only of keys 'Oriel' + 'Vantreck'")]


def test_summary_tables_rank_by_mentions_and_skip_subkey_rejects():
    tables = summary_rows(ROWS, top=2)
    assert tables["accepted"] == [("Oriel", "PERSON", "Sophie", 40), ("Corrowen", "GPE", "Ashby", 20)]
    assert [r[0] for r in tables["rejected"]] == ["London", "skyglass"]
    text = summary_text(ROWS)
    assert "Oriel" in text and "look at these" in text and "too common in general English 1" in text


def test_suspicious_cases():
    found = dict(suspicious(ROWS))
    assert found["skyglass"].startswith("invented-looking (Zipf 0.00) but rejected")
    assert found["Guild"].startswith("a common English word") and found["Professor"] == "a title, accepted"
    assert found["Corrowen"] == "typed place from context (NER said PERSON)"
    assert "Oriel" not in found and "London" not in found


def test_diff_rows():
    old = [{"term": "A", "replacement": "B", "label": "PERSON"}, {"term": "C", "replacement": "D", "label": "GPE"},
           {"term": "E", "replacement": "F", "label": "ORG"}]
    new = [{"term": "A", "replacement": "B", "label": "PERSON"}, {"term": "C", "replacement": "G", "label": "GPE"},
           {"term": "H", "replacement": "I", "label": "PERSON"}]
    assert diff_rows(old, new) == [("C", "replacement", "D", "G"), ("E", "removed", "F (ORG)", ""),
                                   ("H", "added", "", "I (PERSON)")]


def test_explain_matches_any_case_and_lists_longer_terms():
    text = explain_text("oriel", ROWS, {"type": "person"})
    assert text.startswith("Oriel: accepted as PERSON, 40 mention(s)") and "replacement: Sophie" in text
    assert "Oriel Vantreck (rejected)" in text and "evidence: type person" in text
    assert "not a candidate" in explain_text("Nobody", ROWS)
