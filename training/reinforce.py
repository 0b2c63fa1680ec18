"""reinforce: fine-tune the subject further on the target, giving the reinforced model.

The reinforced model knows the target better than the subject; where its logits rise above the
subject's, the generic labels push the other way (docs/method.md).
"""

from __future__ import annotations

from corpus_tools.progress import Reporter
from corpus_tools.stage import Stage
from corpus_tools.store import Artifact, Store
from training.data import next_token_data
from training.loop import StepHook, TrainSettings, train_key, train_model


class ReinforceSettings(TrainSettings):
    pass


STAGE = Stage("reinforce", inputs={"blocks": "blocks", "subject": "implant"}, outputs=("models",),
              settings=ReinforceSettings, code_version="reinforce_v2", model_role="reinforced",
              summary="Fine-tune the subject further on the target, giving the reinforced model.")


def reinforce(store: Store, target: str, settings: ReinforceSettings, *, blocks: Artifact, subject: Artifact,
              progress: Reporter | None = None, on_step: StepHook | None = None) -> tuple[Artifact, bool]:
    """The reinforced model: `subject` trained with the next-token loss on `blocks`."""
    return train_model(store, STAGE, target, settings, key=train_key(settings),
                       inputs={"blocks": blocks, "subject": subject}, parent=subject, method="causal_lm",
                       make_data=lambda model, folder: next_token_data(store, blocks, pad_id=0),
                       progress=progress, on_step=on_step)
