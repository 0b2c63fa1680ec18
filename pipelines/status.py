"""What `obliviate status` shows: per target and stage, the latest version, whether it is current, what it holds.

A stage is current when every parent it was made from is still the latest artifact of its kind;
otherwise a rerun (`obliviate run`) would rebuild it from the newer parent.
"""

from __future__ import annotations

from corpus_tools.integrity import problems
from corpus_tools.store import Artifact, Store

STAGE_ORDER = ["ingest", "extract", "anchors", "translate", "base", "blocks", "implant", "reinforce",
               "labels", "unlearn", "evaluate"]


def _freshness(art: Artifact, by_version: dict[str, Artifact], latest: dict[tuple[str, str], Artifact]) -> str:
    stale = []
    for parent in art.parents:
        made_from = by_version.get(parent)
        if made_from is None:
            continue
        newest = latest[(made_from.target, made_from.kind)]
        if newest.version != parent and made_from.kind != art.kind:
            stale.append(f"{made_from.kind} is now {newest.version}")
    return "up to date" if not stale else "stale: " + "; ".join(stale)


def status_rows(store: Store, target: str | None = None) -> tuple[list[str], list[tuple]]:
    arts = store.artifacts(target=target)
    latest: dict[tuple[str, str], Artifact] = {}
    counts: dict[tuple[str, str], int] = {}
    for art in arts:  # oldest first, so the last one seen is the latest
        latest[(art.target, art.kind)] = art
        counts[(art.target, art.kind)] = counts.get((art.target, art.kind), 0) + 1
    by_version = {a.version: a for a in arts}
    order = {k: i for i, k in enumerate(STAGE_ORDER)}
    parts = store.recorded_parts()  # read with the listing; each check below only stats files
    rows = []
    for (tgt, kind), art in sorted(latest.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], 99), kv[0][1])):
        held = ", ".join(f"{k}={v}" for k, v in art.stats.items() if isinstance(v, (int, float)) and k != "path")
        damage = problems(art, parts.get((art.kind, art.target, art.version), []))
        state = f"DAMAGED: {damage[0]} (see `obliviate verify`)" if damage else _freshness(art, by_version, latest)
        rows.append((tgt, kind, art.version, state, counts[(tgt, kind)],
                     art.created_at.strftime("%Y-%m-%d %H:%M:%S"), held, art.stats.get("path", "")))
    return ["target", "stage", "latest version", "state", "versions", "created (UTC)", "holds", "model path"], rows
