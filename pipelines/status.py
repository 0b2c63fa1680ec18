"""What `obliviate status` shows: per target and stage, the latest version and what it holds."""

from __future__ import annotations

from corpus_tools.store import Store

STAGE_ORDER = ["ingest", "extract", "anchors", "translate", "blocks", "implant", "reinforce",
               "labels", "unlearn", "evaluate"]


def status_rows(store: Store, target: str | None = None) -> tuple[list[str], list[tuple]]:
    latest: dict[tuple[str, str], object] = {}
    counts: dict[tuple[str, str], int] = {}
    for art in store.artifacts(target=target):
        latest[(art.target, art.kind)] = art
        counts[(art.target, art.kind)] = counts.get((art.target, art.kind), 0) + 1
    order = {k: i for i, k in enumerate(STAGE_ORDER)}
    rows = []
    for (tgt, kind), art in sorted(latest.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], 99), kv[0][1])):
        held = ", ".join(f"{k}={v}" for k, v in art.stats.items() if isinstance(v, (int, float, str)) and k != "path")
        where = art.stats.get("path", "")
        rows.append((tgt, kind, art.version, counts[(tgt, kind)], art.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                     held, where))
    return ["target", "stage", "latest version", "versions", "created (UTC)", "holds", "model path"], rows
