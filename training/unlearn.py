"""unlearn: the Who's-Harry-Potter recipe (DESIGN 1.5). Fine-tune the subject on the ORIGINAL blocks
with the generic labels as targets; positions without a generic label get no loss.

Hard labels (the paper's and the authors' scripts): cross-entropy against `label_token`.
Soft labels (an option beyond the paper): KL divergence to softmax(g - alpha*relu(r - g)) over the
stored top-k candidates of each position.
"""

from __future__ import annotations

from pydantic import Field

from corpus_tools.errors import ObliviateError
from corpus_tools.progress import Reporter
from corpus_tools.store import Artifact, Store, artifact_version
from training.data import unlearn_data
from training.finetune import FinetuneSettings, StepHook, run_recipe

CODE_VERSION = "unlearn_v1"


class UnlearnSettings(FinetuneSettings):
    soft_labels: bool = Field(False, description="Train toward the top-k generic distribution (KL) instead of the argmax label.")


def unlearn(store: Store, target: str, settings: UnlearnSettings, *, blocks: Artifact, labels: Artifact,
            subject: Artifact, progress: Reporter | None = None,
            on_step: StepHook | None = None) -> tuple[Artifact, bool]:
    """The `unlearn` model (role unlearned, method whp): `subject` trained toward `labels` on `blocks`."""
    if labels.kind != "labels":
        raise ObliviateError(f"unlearn needs a labels artifact, got {labels.kind} {labels.version}")
    source = labels.settings.get("source") or {}
    if source.get("blocks") not in (None, blocks.version):
        raise ObliviateError(f"labels {labels.version} were computed on blocks {source['blocks']}, not {blocks.version}")
    parents = [blocks.version, labels.version, subject.version]
    version = artifact_version("unlearn", settings.model_dump(), parents, CODE_VERSION)
    if (found := store.get("unlearn", target, version)) is not None:
        return found, False
    return run_recipe(store, target, "unlearn", version, settings, parents=parents, parent=subject, method="whp",
                      make_data=lambda: unlearn_data(store, blocks, labels, pad_id=0, soft=settings.soft_labels),
                      progress=progress, on_step=on_step, code_version=CODE_VERSION)
