"""The stage registry and the runner: every stage of a target, in order, from one target file.

Each entry pairs a stage's declaration (its module's `STAGE`) with how the target file feeds it:
the section holding its settings and a call that hands it its named inputs. `run`, every
single-stage verb, `status` and the report all walk this one list, so a verb resolves its inputs
exactly as `run` does: the stages before it are looked up (never built) with the same settings.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from anchors import build as anchors_stage
from anchors import extract as extract_stage
from corpus_tools import blocks as blocks_stage
from corpus_tools import ingest as ingest_stage
from corpus_tools import translate as translate_stage
from corpus_tools.errors import ObliviateError
from corpus_tools.progress import Reporter
from corpus_tools.stage import NotBuilt, Stage, forcing, lookup_only
from corpus_tools.store import Artifact, Store
from pipelines.target import TargetConfig
from training import evaluate as evaluate_stage
from training import evalsets as evalsets_stage
from training import implant as implant_stage
from training import labels as labels_stage
from training import base as base_stage
from training import reinforce as reinforce_stage
from training import unlearn as unlearn_stage

Arts = dict[str, Artifact]
Call = Callable[[Store, TargetConfig, Arts, "Reporter | None"], "tuple[Artifact, bool]"]


@dataclass(frozen=True)
class Step:
    stage: Stage
    section: str  # the target file's section that holds the stage's settings
    call: Call

    @property
    def name(self) -> str:
        return self.stage.name


def _blocks(store: Store, config: TargetConfig, arts: Arts, progress):
    from training.models import load_tokenizer

    tokenizer = load_tokenizer(config.model.base, store)
    return blocks_stage.make_blocks(store, config.name, config.blocks, documents=arts["ingest"],
                                    translation=arts["translate"], tokenizer=tokenizer,
                                    tokenizer_id=blocks_stage.tokenizer_fingerprint(tokenizer), progress=progress)


def _evalsets(store: Store, config: TargetConfig, arts: Arts, progress):
    from training.models import load_tokenizer

    tokenizer = load_tokenizer(config.model.base, store)
    return evalsets_stage.make_evalsets(store, config.name, config.evalsets, documents=arts["ingest"],
                                        dictionary=arts["anchors"], blocks=arts["blocks"], tokenizer=tokenizer,
                                        tokenizer_id=blocks_stage.tokenizer_fingerprint(tokenizer), progress=progress)


def _evaluate(store: Store, config: TargetConfig, arts: Arts, progress):
    models = {"base": arts["base"], "subject": arts["implant"], "unlearned": arts["unlearn"]}
    if "reinforce" in arts:
        models["reinforced"] = arts["reinforce"]
    models = {role: art for role, art in models.items() if role in config.evaluate.roles}
    return evaluate_stage.evaluate(store, config.name, config.evaluate, models=models,
                                   anchors=arts.get("anchors"), translation=arts.get("translate"),
                                   evalsets=arts.get("evalsets"), progress=progress)


STEPS: list[Step] = [
    Step(ingest_stage.STAGE, "ingest", lambda s, c, a, p: ingest_stage.ingest(s, c.name, c.ingest, progress=p)),
    Step(extract_stage.STAGE, "extract",
         lambda s, c, a, p: extract_stage.extract(s, c.name, c.extract, documents=a["ingest"], progress=p)),
    Step(anchors_stage.STAGE, "anchors",
         lambda s, c, a, p: anchors_stage.build_anchors(s, c.name, c.anchors, documents=a["ingest"],
                                                        mentions=a["extract"], progress=p)),
    Step(translate_stage.STAGE, "translate",
         lambda s, c, a, p: translate_stage.translate(s, c.name, c.translate, documents=a["ingest"],
                                                      anchors=a["anchors"], progress=p)),
    Step(base_stage.STAGE, "model", lambda s, c, a, p: base_stage.base_model(s, c.name, c.model.base)),
    Step(blocks_stage.STAGE, "blocks", _blocks),
    Step(evalsets_stage.STAGE, "evalsets", _evalsets),
    Step(implant_stage.STAGE, "implant",
         lambda s, c, a, p: implant_stage.implant(s, c.name, c.implant, blocks=a["blocks"], base=a["base"], progress=p)),
    Step(reinforce_stage.STAGE, "reinforce",
         lambda s, c, a, p: reinforce_stage.reinforce(s, c.name, c.reinforce, blocks=a["blocks"],
                                                      subject=a["implant"], progress=p)),
    Step(labels_stage.STAGE, "labels",
         lambda s, c, a, p: labels_stage.compute_labels(s, c.name, c.labels, blocks=a["blocks"], subject=a["implant"],
                                                        reinforced=a["reinforce"], progress=p)),
    Step(unlearn_stage.STAGE, "unlearn",
         lambda s, c, a, p: unlearn_stage.unlearn(s, c.name, c.unlearn, blocks=a["blocks"], labels=a.get("labels"),
                                                  subject=a["implant"], reinforced=a.get("reinforce"), progress=p)),
    Step(evaluate_stage.STAGE, "evaluate", _evaluate),
]
STAGES = [step.name for step in STEPS]
BY_NAME = {step.name: step for step in STEPS}


def check_stage(name: str | None) -> None:
    if name is not None and name not in BY_NAME:
        raise ObliviateError(f"unknown stage {name!r}; stages are: {', '.join(STAGES)}")


def needed(config: TargetConfig, name: str) -> bool:
    """Whether `run` builds this stage for this target: implant only when enabled, labels only for WHP."""
    if name == "implant":
        return config.implant.enabled
    if name == "labels":
        return config.unlearn.method == "whp"
    return True


def run_pipeline(store: Store, config: TargetConfig, *, until: str | None = None, only: str | None = None,
                 force: tuple[str, ...] = (), progress: Reporter | None = None,
                 log: Callable[[str], None] = print) -> Arts:
    """Every stage up to `until` (all by default), building what is missing. With `only`, the stages before it
    are looked up with the same settings and only that stage is built: exactly the step `run` would take."""
    for name in (until, only, *force):
        check_stage(name)
    last = STAGES.index(only or until) if (only or until) else len(STAGES) - 1
    if last >= STAGES.index("unlearn"):
        # the unlearned model's version reads its files (retain and repair corpora, translated_names): a wrong path
        # is one error line before any stage runs, not after the hours of the stages before it
        unlearn_stage.version_key(config.unlearn)
    if last >= STAGES.index("evaluate"):  # and the evaluation's folders and fact files (the Austen collection) likewise
        evaluate_stage.check_paths(config.evaluate)
    arts: Arts = {}
    for step in STEPS[: last + 1]:
        if not needed(config, step.name):
            if step.name == "implant":  # a real user's subject is the base model itself
                arts["implant"] = arts["base"]
                log("implant    skipped (implant.enabled = false): the subject is the base model")
            continue
        building = only is None or step.name == only
        started = time.perf_counter()
        if building:
            with forcing(force):
                art, created = step.call(store, config, arts, progress)
        else:
            with lookup_only():
                art, created = step.call(store, config, arts, progress)
        arts[step.name] = art
        if building:
            took = time.perf_counter() - started
            log(f"{step.name:<10} {art.version}  " + (f"built in {took:.1f}s" if created else "up to date, reused"))
    return arts


def resolve(store: Store, config: TargetConfig) -> dict[str, tuple[str | None, str]]:
    """stage -> (the version the target file resolves to, or None; its state), building nothing."""
    out: dict[str, tuple[str | None, str]] = {}
    arts: Arts = {}
    for step in STEPS:
        if not needed(config, step.name):
            if step.name == "implant" and "base" in arts:
                arts["implant"] = arts["base"]
            out[step.name] = (None, "skipped")
            continue
        try:
            with lookup_only():
                art, _ = step.call(store, config, arts, None)
        except KeyError as missing:  # an input stage did not resolve
            out[step.name] = (None, f"needs {missing.args[0]} first")
            continue
        except NotBuilt:
            out[step.name] = (None, "not built")
            continue
        arts[step.name] = art
        out[step.name] = (art.version, "built")
    return out
