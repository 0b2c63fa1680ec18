"""unlearn: the Who's-Harry-Potter recipe (DESIGN 1.5), and the reference methods beside it.

WHP (method "whp", the default): fine-tune the subject on the ORIGINAL blocks with the generic
labels as targets; positions without a generic label get no loss.
Hard labels (the paper's and the authors' scripts): cross-entropy against `label_token`.
Soft labels (an option beyond the paper): KL divergence to softmax(g - alpha*relu(r - g)) over the
stored top-k candidates of each position.

Reference methods (docs/methods.md): "ga" and "gd" (training/gradient_ascent.py), "npo"
(training/npo.py) and "ensemble", the inference-time logit ensemble (training/ensemble.py).
"""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from corpus_tools.errors import ObliviateError
from corpus_tools.progress import Reporter
from corpus_tools.store import Artifact, Store
from training.data import unlearn_data
from training.finetune import FinetuneSettings, StepHook, token_loss
from training.gradient_ascent import ForgetData, lm_loss, retain_blocks, retain_fingerprint, run_objective, unlearn_ga
from training.npo import unlearn_npo

CODE_VERSION = "unlearn_v1"
METHODS = ("whp", "ga", "gd", "npo", "ensemble")
# Settings of the reference methods: left out of WHP's version key, so WHP versions made before
# these existed stay valid; each method's key holds only what changes its result.
REFERENCE_FIELDS = {"method", "beta", "retain_weight", "npo_retain", "alpha", "retain_corpus", "retain_term"}


class UnlearnSettings(FinetuneSettings):
    soft_labels: bool = Field(False, description="Train toward the top-k generic distribution (KL) instead of the argmax label.")
    method: Literal["whp", "ga", "gd", "npo", "ensemble"] = Field(
        "whp", description="whp (generic labels), ga (gradient ascent), gd (gradient difference), npo, or ensemble "
                           "(inference-time logit ensemble of subject and reinforced model, no training).")
    beta: float = Field(0.1, gt=0, description="NPO inverse temperature beta.")
    retain_term: bool = Field(False, description="WHP: add retain_weight x the next-token loss on the retain corpus "
                                                 "(each batch pairs every target block with a retain block).")
    retain_weight: float = Field(1.0, ge=0, description="Weight of the retain loss of gd, of npo with npo_retain and of whp with retain_term.")
    npo_retain: bool = Field(False, description="Add the retain loss to NPO (NPO+RT).")
    retain_corpus: Optional[str] = Field(None, description="Folder of .md/.txt retain texts for gd, npo_retain and retain_term "
                                                           "(default: data/retain/corpus, disjoint from the evaluation texts).")
    alpha: float = Field(5.0, ge=0, description="Ensemble: logits v_b - alpha * relu(v_r - v_b).")


def version_key(settings: UnlearnSettings) -> dict:
    """What a method's version depends on."""
    if settings.method == "ensemble":
        return {"method": "ensemble", "alpha": settings.alpha}
    if settings.method == "whp":
        key = settings.model_dump(exclude=REFERENCE_FIELDS)
        if settings.retain_term:  # absent otherwise, so versions made before the option stay valid
            key["retain_term"] = True
    else:
        key = {**settings.model_dump(exclude=REFERENCE_FIELDS | {"soft_labels"}), "method": settings.method}
    if settings.method == "npo":
        key |= {"beta": settings.beta, "npo_retain": settings.npo_retain}
    if uses_retain(settings):
        key |= {"retain_weight": settings.retain_weight, "retain_corpus": retain_fingerprint(settings.retain_corpus)}
    return key


def uses_retain(settings: UnlearnSettings) -> bool:
    """Whether the method trains on the retain corpus: gd always, npo with npo_retain, whp with retain_term."""
    return {"gd": True, "npo": settings.npo_retain, "whp": settings.retain_term}.get(settings.method, False)


def unlearn(store: Store, target: str, settings: UnlearnSettings, *, blocks: Artifact | None,
            labels: Artifact | None = None, subject: Artifact, reinforced: Artifact | None = None,
            progress: Reporter | None = None, on_step: StepHook | None = None) -> tuple[Artifact, bool]:
    """The `unlearn` model (role unlearned) of `settings.method`, registered in `models` with that method.

    whp needs `blocks` and `labels`; ga, gd and npo need `blocks`; ensemble needs `reinforced`.
    """
    method = settings.method
    if method == "ensemble":
        from training.ensemble import register_ensemble

        return register_ensemble(store, target, settings, version_key(settings), subject=subject, reinforced=reinforced)
    if blocks is None:
        raise ObliviateError(f"unlearn method {method} needs a blocks artifact")
    if method in ("ga", "gd"):
        return unlearn_ga(store, target, settings, version_key(settings), blocks=blocks, subject=subject,
                          progress=progress, on_step=on_step)
    if method == "npo":
        return unlearn_npo(store, target, settings, version_key(settings), blocks=blocks, subject=subject,
                           progress=progress, on_step=on_step)
    if labels is None or labels.kind != "labels":
        got = "nothing" if labels is None else f"{labels.kind} {labels.version}"
        raise ObliviateError(f"unlearn needs a labels artifact, got {got}")
    source = labels.settings.get("source") or {}
    if source.get("blocks") not in (None, blocks.version):
        raise ObliviateError(f"labels {labels.version} were computed on blocks {source['blocks']}, not {blocks.version}")

    def make_data(model, folder):
        data = unlearn_data(store, blocks, labels, pad_id=0, soft=settings.soft_labels)
        if not settings.retain_term:
            return data
        return ForgetData(data, retain_blocks(settings, folder, data.input_ids.shape[1]))

    return run_objective(store, target, version_key(settings), settings,
                         parents=[blocks.version, labels.version, subject.version], parent=subject, method="whp",
                         make_data=make_data, loss_fn=whp_retain_loss(settings.retain_weight) if settings.retain_term else None,
                         progress=progress, on_step=on_step, code_version=CODE_VERSION)


def whp_retain_loss(retain_weight: float):
    """The generic-label loss on the target rows plus `retain_weight` x next-token loss on the retain rows."""

    def loss(logits, batch):
        f = batch["forget"]
        target = {k: v for k, v in batch.items() if k in ("soft_ids", "soft_p")} | {"labels": batch["labels"][f]}
        return token_loss(logits[f], target) + retain_weight * lm_loss(logits[~f], batch["labels"][~f])
    return loss
