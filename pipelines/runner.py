"""The stage runner: every stage of a target in order, reusing what is already stored.

Each stage computes its version from its settings and its parents' versions, so a stage whose
version exists is skipped, and changing one setting reruns that stage and those after it only.
A killed run resumes: finished artifacts are reused and a half-written one continues in staging.
"""

from __future__ import annotations

import time
from typing import Callable

from corpus_tools.errors import ObliviateError
from corpus_tools.progress import Reporter
from corpus_tools.store import Artifact, Store
from pipelines.target import TargetConfig

STAGES = ["ingest", "extract", "anchors", "translate", "base", "blocks", "implant", "reinforce",
          "labels", "unlearn", "evaluate"]


def _plain(settings, cls, exclude: set[str]):
    """A section of the target file as its stage's own settings class (file-only keys removed)."""
    return cls(**settings.model_dump(exclude=exclude))


def run_pipeline(store: Store, config: TargetConfig, *, until: str | None = None, force: tuple[str, ...] = (),
                 progress: Reporter | None = None, log: Callable[[str], None] = print) -> dict[str, Artifact]:
    for name in (until, *force):
        if name is not None and name not in STAGES:
            raise ObliviateError(f"unknown stage {name!r}; stages are: {', '.join(STAGES)}")
    from anchors.build import AnchorSettings, build_anchors
    from anchors.extract import extract
    from corpus_tools.blocks import make_blocks, tokenizer_fingerprint
    from corpus_tools.ingest import ingest
    from corpus_tools.translate import translate
    from training.evaluate import EvalSettings, evaluate
    from training.finetune import FinetuneSettings, finetune
    from training.labels import compute_labels
    from training.models import base_model, load_tokenizer
    from training.unlearn import unlearn

    t = config.name
    arts: dict[str, Artifact] = {}
    last = STAGES.index(until) if until else len(STAGES) - 1

    def step(name: str, call: Callable[[], tuple[Artifact, bool]]) -> bool:
        if STAGES.index(name) > last:
            return False
        started = time.perf_counter()
        art, created = call()
        if name in force and not created:
            store.delete(art.kind, t, art.version)
            art, created = call()
        elif not created:
            store.check_once(art)  # integrity: a reused artifact must still be intact (docs/reliability.md)
        arts[name] = art
        took = time.perf_counter() - started
        log(f"{name:<10} {art.version}  " + (f"built in {took:.1f}s" if created else "up to date, reused"))
        return True

    overrides = config.path(config.anchors.overrides) if config.anchors.overrides else None
    step("ingest", lambda: ingest(store, t, config.ingest, progress=progress))
    step("extract", lambda: extract(store, t, config.extract, documents=arts["ingest"], progress=progress))
    step("anchors", lambda: build_anchors(store, t, _plain(config.anchors, AnchorSettings, {"overrides"}),
                                          documents=arts["ingest"], mentions=arts["extract"],
                                          overrides_path=overrides, progress=progress))
    step("translate", lambda: translate(store, t, config.translate, documents=arts["ingest"],
                                        anchors=arts["anchors"], progress=progress))
    step("base", lambda: base_model(store, t, config.model.base))
    if "blocks" in STAGES[: last + 1]:
        tokenizer = load_tokenizer(config.model.base, store)
        step("blocks", lambda: make_blocks(store, t, config.blocks, documents=arts["ingest"],
                                           translation=arts["translate"], tokenizer=tokenizer,
                                           tokenizer_id=tokenizer_fingerprint(tokenizer), progress=progress))
    if config.implant.enabled:
        step("implant", lambda: finetune(store, t, "implant", _plain(config.implant, FinetuneSettings, {"enabled"}),
                                         blocks=arts["blocks"], parent=arts["base"], progress=progress))
    elif STAGES.index("implant") <= last:
        log("implant    skipped (implant.enabled = false): the subject is the base model")
        arts["implant"] = arts["base"]
    step("reinforce", lambda: finetune(store, t, "reinforce", config.reinforce, blocks=arts["blocks"],
                                       parent=arts["implant"], progress=progress))
    step("labels", lambda: compute_labels(store, t, config.labels, blocks=arts["blocks"], subject=arts["implant"],
                                          reinforced=arts["reinforce"], progress=progress))
    step("unlearn", lambda: unlearn(store, t, config.unlearn, blocks=arts["blocks"], labels=arts["labels"],
                                    subject=arts["implant"], reinforced=arts["reinforce"], progress=progress))
    models = [arts[k] for k in ("base", "implant", "reinforce", "unlearn") if k in arts]
    models = list({a.version: a for a in models}.values())
    step("evaluate", lambda: evaluate(store, t, _plain(config.evaluate, EvalSettings, {"prompts_dir", "general_dir"}),
                                      models=models, prompts_dir=config.path(config.evaluate.prompts_dir),
                                      general_dir=config.general_dir(),
                                      anchors=arts.get("anchors"), translation=arts.get("translate"),
                                      progress=progress))
    return arts
