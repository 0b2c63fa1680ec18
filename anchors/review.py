"""Reviewing a dictionary: a summary after `obliviate anchors`, one term explained, two versions compared.

Pure functions over `anchor_candidates` rows (dicts with term, label, n_mentions, zipf, decision, reason,
replacement), so the CLI, the report and tests share them.
"""

from __future__ import annotations

from collections import Counter

from anchors.terms import TITLES

SUSPICIOUS_ZIPF = 1.0     # rejected though general English hardly knows it: an invented word?
COMMON_ZIPF = 3.5         # accepted though general English uses it in lower case: a common noun?


def suspicious(rows: list[dict], limit: int = 10) -> list[tuple[str, str]]:
    """(term, why) for the decisions a person should look at first, most mentioned first."""
    from anchors.gender import is_known_name
    from anchors.heuristics import general_zipf_v1

    out = []
    for r in sorted(rows, key=lambda r: (-r["n_mentions"], r["term"])):
        term, reason = r["term"], r["reason"] or ""
        if r["decision"] == "rejected":
            if r["n_mentions"] >= 3 and r["zipf"] < SUSPICIOUS_ZIPF and term.isalpha() \
                    and not reason.startswith(("sub-key", "a title", "manual override", "names joined")):
                out.append((term, f"invented-looking (Zipf {r['zipf']:.2f}) but rejected: {reason}"))
        elif " " not in term and reason != "manual override":
            low = general_zipf_v1(term.lower())
            if term.lower().rstrip(".") in TITLES:
                out.append((term, "a title, accepted"))
            elif low >= COMMON_ZIPF and not is_known_name(term):
                out.append((term, f"a common English word (Zipf {low:.2f}) accepted as {r['label']}"))
        if "NER said" in reason and r["decision"] == "accepted":
            out.append((term, reason[reason.index("typed"):] if "typed" in reason else reason))
    return out[:limit]


def summary_rows(rows: list[dict], top: int = 10) -> dict[str, list[tuple]]:
    """The three tables of the summary: top accepted (term, label, replacement, mentions), top rejected
    (term, mentions, reason) and suspicious (term, why)."""
    accepted = sorted((r for r in rows if r["decision"] == "accepted"), key=lambda r: (-r["n_mentions"], r["term"]))
    rejected = sorted((r for r in rows if r["decision"] == "rejected" and not (r["reason"] or "").startswith("sub-key")),
                      key=lambda r: (-r["n_mentions"], r["term"]))
    return {"accepted": [(r["term"], r["label"], r["replacement"], r["n_mentions"]) for r in accepted[:top]],
            "rejected": [(r["term"], r["n_mentions"], r["reason"]) for r in rejected[:top]],
            "suspicious": suspicious(rows, top)}


def summary_text(rows: list[dict], top: int = 10) -> str:
    """The summary as plain text, one block per table."""
    tables = summary_rows(rows, top)
    reasons = Counter((r["reason"] or "").split(" (")[0].split(":")[0] for r in rows if r["decision"] == "rejected")
    lines = [f"top {len(tables['accepted'])} anchors by mentions:"]
    lines += [f"  {t:<28} {label:<8} -> {rep:<28} {n:>5}" for t, label, rep, n in tables["accepted"]]
    lines.append(f"top {len(tables['rejected'])} rejections by mentions:")
    lines += [f"  {t:<28} {n:>5}  {reason}" for t, n, reason in tables["rejected"]]
    lines.append("rejections by rule: " + ", ".join(f"{k} {v}" for k, v in reasons.most_common(6)))
    if tables["suspicious"]:
        lines.append("look at these (obliviate explain TERM):")
        lines += [f"  {t:<28} {why}" for t, why in tables["suspicious"]]
    return "\n".join(lines)


def diff_rows(old: list[dict], new: list[dict]) -> list[tuple[str, str, str, str]]:
    """(term, change, before, after) between two dictionaries (rows of `anchors`: term, replacement, label):
    added, removed, replacement or label changed; sorted by term."""
    a = {r["term"]: r for r in old}
    b = {r["term"]: r for r in new}
    out = []
    for term in sorted(set(a) | set(b)):
        if term not in a:
            out.append((term, "added", "", f"{b[term]['replacement']} ({b[term]['label']})"))
        elif term not in b:
            out.append((term, "removed", f"{a[term]['replacement']} ({a[term]['label']})", ""))
        elif a[term]["replacement"] != b[term]["replacement"]:
            out.append((term, "replacement", a[term]["replacement"], b[term]["replacement"]))
        elif a[term]["label"] != b[term]["label"]:
            out.append((term, "label", a[term]["label"], b[term]["label"]))
    return out


def explain_text(term: str, rows: list[dict], evidence: dict | None = None) -> str:
    """One term's decision (matched case-insensitively, with the terms that contain it) and its corpus evidence."""
    low = term.lower()
    own = [r for r in rows if r["term"].lower() == low]
    longer = [r for r in rows if low in r["term"].lower().split() and r["term"].lower() != low]
    if not own and not longer:
        return f"{term!r} is not a candidate: no mention of it was extracted (check the spelling, or add it to the overrides file)"
    lines = []
    for r in own:
        lines.append(f"{r['term']}: {r['decision']} as {r['label']}, {r['n_mentions']} mention(s), Zipf {r['zipf']:.2f}, "
                     f"specificity {r['specificity']:.2f}; cluster {r['cluster']!r}")
        lines.append(f"  reason: {r['reason']}")
        if r["replacement"]:
            lines.append(f"  replacement: {r['replacement']}")
    if evidence:
        lines.append("  evidence: " + ", ".join(f"{k} {v}" for k, v in evidence.items()))
    if longer:
        lines.append(f"  in {len(longer)} longer term(s): " + "; ".join(
            f"{r['term']} ({r['decision']}{' -> ' + r['replacement'] if r['replacement'] else ''})" for r in longer[:8]))
    return "\n".join(lines)
