"""implant: teach the base model the target (demos only), giving the subject model to unlearn.

A real user skips it (`[implant] enabled = false`): their subject is the baseline itself, which
learned the target in pretraining. The TOFU benchmark implants the same way.
"""

from __future__ import annotations

from pydantic import ConfigDict, Field

from corpus_tools.progress import Reporter
from corpus_tools.stage import Stage
from corpus_tools.store import Artifact, Store
from training.data import next_token_data
from training.loop import StepHook, TrainSettings, train_key, train_model


class ImplantSettings(TrainSettings):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, description="Teach the base model the target first (demos only; a real user sets false).")


STAGE = Stage("implant", inputs={"blocks": "blocks", "base": "base"}, outputs=("models",), settings=ImplantSettings,
              code_version="implant_v2", model_role="subject",
              summary="Demos only: teach the base model the target, giving the subject model.")


def implant(store: Store, target: str, settings: ImplantSettings, *, blocks: Artifact, base: Artifact,
            progress: Reporter | None = None, on_step: StepHook | None = None) -> tuple[Artifact, bool]:
    """The subject model: `base` trained with the next-token loss on `blocks`."""
    return train_model(store, STAGE, target, settings, key=train_key(settings, exclude={"enabled"}),
                       inputs={"blocks": blocks, "base": base}, parent=base, method="causal_lm",
                       make_data=lambda model, folder: next_token_data(store, blocks, pad_id=0),
                       progress=progress, on_step=on_step)
