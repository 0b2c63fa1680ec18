"""What `obliviate status` shows, in the registry's stage order.

Without a target file: per target and stage, the current version (what the target file resolved
to in its last plain run), whether a newer build of the stage exists beside it (a `--set` trial),
and what it holds. With a target file: the version of every stage that file resolves to now, and
whether it is built.
"""

from __future__ import annotations

from corpus_tools.integrity import problems
from corpus_tools.store import Artifact, Store
from pipelines.stages import STAGES, resolve
from pipelines.target import TargetConfig


def _holds(art: Artifact) -> str:
    return ", ".join(f"{k}={v}" for k, v in art.stats.items()
                     if isinstance(v, (int, float)) and not isinstance(v, bool))


def status_rows(store: Store, target: str | None = None) -> tuple[list[str], list[tuple]]:
    arts = store.artifacts(target=target)
    targets = sorted({a.target for a in arts})
    order = {k: i for i, k in enumerate(STAGES)}
    parts = store.recorded_parts()  # read with the listing; each check below only stats files
    rows = []
    for tgt in targets:
        current = store.current(tgt)
        kinds = sorted({a.kind for a in arts if a.target == tgt}, key=lambda k: order.get(k, 99))
        for kind in kinds:
            versions = [a for a in arts if a.target == tgt and a.kind == kind]
            cur = next((a for a in versions if a.version == current.get(kind)), None)
            newest = versions[-1]
            shown = cur or newest
            if cur is None:
                state = "no current version (not run from its target file yet)"
            elif newest is not cur:
                state = f"current; newer trial build {newest.version}"
            else:
                state = "current"
            damage = problems(shown, parts.get((shown.kind, shown.target, shown.version), []))
            if damage:
                state = f"DAMAGED: {damage[0]} (see `obliviate verify`)"
            rows.append((tgt, kind, shown.version, state, len(versions), shown.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                         _holds(shown), shown.stats.get("path", "")))
    return ["target", "stage", "version", "state", "versions", "created (UTC)", "holds", "model path"], rows


def resolved_rows(store: Store, config: TargetConfig) -> tuple[list[str], list[tuple]]:
    current = store.current(config.name)
    rows = []
    for stage, (version, state) in resolve(store, config).items():
        art = store.get(stage, config.name, version) if version else None
        mark = "" if version is None else ("yes" if current.get(stage) == version else "no")
        rows.append((config.name, stage, version or "", state, mark, _holds(art) if art else ""))
    return ["target", "stage", "resolves to", "state", "recorded as current", "holds"], rows
