"""The stage contract: a stage is a declaration, and `produce` builds the artifact of any stage.

A stage declares its name, its named inputs (role -> the stage that provides it), its output tables,
its settings class and its code version. `produce` owns what every stage would otherwise write out
by hand: the version (a hash of the settings key, the named parents and the code version), reuse of
a stored artifact, staging, publishing and resume. A stage function only computes. docs/stages.md
describes the contract and the version rule.
"""

from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Optional

from corpus_tools.errors import ObliviateError
from corpus_tools.store import Artifact, Staging, Store, artifact_version


@dataclass(frozen=True)
class Stage:
    name: str
    inputs: Mapping[str, str]  # role -> stage name, e.g. {"documents": "ingest", "dictionary": "anchors"}
    outputs: tuple[str, ...]
    settings: type
    code_version: str
    summary: str
    model_role: Optional[str] = field(default=None)  # the `models.role` of a stage that makes a model


class NotBuilt(ObliviateError):
    """An input stage has no artifact for the settings the target file resolves to."""


_LOOKUP_ONLY: contextvars.ContextVar[bool] = contextvars.ContextVar("lookup_only", default=False)
_FORCED: contextvars.ContextVar[frozenset] = contextvars.ContextVar("forced", default=frozenset())


def looking_up() -> bool:
    """True inside `lookup_only`: code that would build something (convert a model) must not."""
    return _LOOKUP_ONLY.get()


@contextlib.contextmanager
def lookup_only() -> Iterator[None]:
    """Inside this block `produce` finds artifacts but never builds one: how a single-stage verb resolves the
    stages before it exactly as `run` would, without running them."""
    token = _LOOKUP_ONLY.set(True)
    try:
        yield
    finally:
        _LOOKUP_ONLY.reset(token)


@contextlib.contextmanager
def forcing(stages) -> Iterator[None]:
    """Inside this block `produce` rebuilds these stages even when their version is stored (`--force`): the stored
    artifact is deleted first, without being read, so a damaged one can be repaired."""
    token = _FORCED.set(frozenset(stages))
    try:
        yield
    finally:
        _FORCED.reset(token)


def version_of(stage: Stage, key: Mapping[str, Any], inputs: Mapping[str, Artifact]) -> tuple[str, dict[str, str]]:
    """(version, named parents) of `stage` built from `inputs` with settings `key`."""
    unknown = sorted(set(inputs) - set(stage.inputs))
    if unknown:
        raise ObliviateError(f"stage {stage.name} has no input named {', '.join(unknown)}")
    parents = {role: art.version for role, art in inputs.items()}
    return artifact_version(stage.name, dict(key), parents, stage.code_version), parents


def produce(store: Store, stage: Stage, target: str, *, key: Mapping[str, Any], inputs: Mapping[str, Artifact],
            build: Callable[[Staging, str], None], saved: Mapping[str, Any] | None = None, acc=None,
            fallback: Callable[[], tuple[Artifact, bool] | None] | None = None) -> tuple[Artifact, bool]:
    """The artifact of `stage` for (key, inputs): the stored one, else `build(staging, version)` published.

    `key` is what the version depends on; `saved` (default: key) is what is recorded as its settings.
    `acc` (an Accelerate object) makes the main process own the staging folder and publish while the other
    processes write their parts into the same folder. `fallback` may return an existing artifact that serves
    instead (labels relabelled from another alpha) before anything is built.
    """
    version, parents = version_of(stage, key, inputs)
    found = store.get(stage.name, target, version)
    if found is not None and stage.name in _FORCED.get() and not _LOOKUP_ONLY.get():
        store.delete(stage.name, target, version)
        found = None
    if found is not None:
        store.check_once(found)  # a reused artifact must still be intact (docs/reliability.md)
        return found, False
    if fallback is not None and (served := fallback()) is not None:
        return served
    if _LOOKUP_ONLY.get():
        raise NotBuilt(f"{stage.name} of {target!r} is not built for these settings yet; "
                       f"run `obliviate {stage.name} TARGET_FILE` or `obliviate run TARGET_FILE --until {stage.name}`")
    main = acc is None or acc.is_main_process
    creating = store.create(stage.name, target, version, parents=parents, settings=dict(saved if saved is not None else key),
                            code_version=stage.code_version) if main else None
    with creating if creating is not None else contextlib.nullcontext(Staging(store.staging_path(stage.name, target, version))) as st:
        if acc is not None:
            acc.wait_for_everyone()  # the staging folder exists before any process writes into it
        build(st, version)
        if acc is not None:
            acc.wait_for_everyone()  # every part is written before the main process publishes
    if acc is not None:
        acc.wait_for_everyone()  # published before anyone looks it up
    return store.require(stage.name, target, version), True
