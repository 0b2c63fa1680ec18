"""Target files: one TOML file holds a target's sources, model and every stage's settings.

The schema is typed: each section is the settings class of its stage, so unknown keys and bad
values are errors that name the file and the key. Paths are relative to the target file.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from anchors.build import AnchorSettings
from anchors.extract import ExtractSettings
from corpus_tools.blocks import BlockSettings
from corpus_tools.errors import ObliviateError
from corpus_tools.ingest import IngestSettings
from corpus_tools.names import target_name
from corpus_tools.translate import TranslateSettings
from training.evaluate import EvalSettings
from training.evalsets import EvalSetSettings
from training.implant import ImplantSettings
from training.labels import LabelSettings
from training.base import ModelSettings
from training.reinforce import ReinforceSettings
from training.unlearn import UnlearnSettings

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TARGET_FILE = ROOT / "data" / "targets" / "harry_potter" / "target.toml"


class TargetConfig(BaseModel):
    """A target file: its name and, per section, the settings class of the stage it configures."""
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Target name: the `target` column of every table.")
    description: str = ""
    ingest: IngestSettings
    model: ModelSettings = ModelSettings()
    extract: ExtractSettings = ExtractSettings()
    anchors: AnchorSettings = AnchorSettings()
    translate: TranslateSettings = TranslateSettings()
    blocks: BlockSettings = BlockSettings()
    evalsets: EvalSetSettings = EvalSetSettings()
    implant: ImplantSettings = ImplantSettings()
    reinforce: ReinforceSettings = ReinforceSettings()
    labels: LabelSettings = LabelSettings()
    unlearn: UnlearnSettings = UnlearnSettings()
    evaluate: EvalSettings = EvalSettings()
    base_dir: Path = Field(Path("."), exclude=True, description="Folder of the target file (paths are relative to it).")
    file: Optional[Path] = Field(None, exclude=True, description="The target file itself.")

    @field_validator("name", mode="before")
    @classmethod
    def _valid_name(cls, value):
        try:
            return target_name(value)
        except ObliviateError as exc:  # pydantic reports ValueErrors with the file and key
            raise ValueError(str(exc)) from None

    def path(self, relative: str) -> Path:
        p = Path(relative)
        return p if p.is_absolute() else (self.base_dir / p)

    def resolve_paths(self) -> None:
        """Paths in the file are relative to it; stages see absolute ones."""
        self.ingest.sources = [str(self.path(s)) for s in self.ingest.sources]
        if self.anchors.overrides:
            self.anchors.overrides = str(self.path(self.anchors.overrides))
        self.evaluate.prompts_dir = str(self.path(self.evaluate.prompts_dir))
        if self.evaluate.general_dir:
            self.evaluate.general_dir = str(self.path(self.evaluate.general_dir))
        if self.evaluate.other_register_texts:
            self.evaluate.other_register_texts = str(self.path(self.evaluate.other_register_texts))
        for name in ("retain_corpus", "repair_corpus"):
            folders = getattr(self.unlearn, name)
            if isinstance(folders, list):
                setattr(self.unlearn, name, [str(self.path(f)) for f in folders])
            elif folders:
                setattr(self.unlearn, name, str(self.path(folders)))
        if self.unlearn.translated_names:
            self.unlearn.translated_names = str(self.path(self.unlearn.translated_names))


def parse_override(item: str) -> tuple[list[str], Any]:
    """`labels.alpha=2.5` -> (["labels", "alpha"], 2.5); the value is read as TOML, else as a string."""
    if "=" not in item:
        raise ObliviateError(f"--set {item!r}: expected key=value, e.g. labels.alpha=2.5")
    key, raw = item.split("=", 1)
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key.strip().split("."), value


def load_target(path: str | Path, overrides: list[str] = ()) -> TargetConfig:
    path = Path(path)
    if not path.exists():
        raise ObliviateError(f"target file {path} does not exist")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ObliviateError(f"target file {path}: invalid TOML: {exc}") from None
    for item in overrides:
        keys, value = parse_override(item)
        node = data
        for k in keys[:-1]:
            node = node.setdefault(k, {})
            if not isinstance(node, dict):
                raise ObliviateError(f"--set {item!r}: {k!r} is not a section")
        node[keys[-1]] = value
    try:
        config = TargetConfig(**data, base_dir=path.resolve().parent, file=path.resolve())
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ObliviateError(f"target file {path}: {where}: {first['msg']} ({exc.error_count()} error(s))") from None
    config.resolve_paths()
    return config


def render_target_file(name: str, sources: list[str], model: str, implant: bool) -> str:
    """A commented target file with the defaults spelled out for the settings people change most."""
    quoted = ", ".join(f'"{s}"' for s in sources)
    return f'''# Target file for obliviate: `obliviate run {name}.toml`. Every key is optional except name and sources;
# see data/targets/harry_potter/target.toml for all sections, and `--set section.key=value` to try a change.
name = "{name}"

[ingest]
sources = [{quoted}]
# input_field = "text"   # the text field of .jsonl rows, Parquet columns and saved `datasets` folders

[model]
base = "{model}"

[anchors]
# overrides = "overrides.toml"   # term = "replacement" or term = "keep"

[blocks]
# a share of the documents (by doc_id hash) is never trained on: the holdout side every forgetting metric
# (docs/evaluation.md) compares the forget side with
holdout_share = 0.2

[implant]
enabled = {str(implant).lower()}

[labels]
alpha = 5.0
# forbid_originals = true   # the target's own names never a generic label (docs/alignment.md): on the implant demo
#                           # lexicon familiarity 0.085 -> 0.038 (dev), the demo's default; one item each way on the
#                           # pretrained target's dev split

[unlearn]
# the next-token loss on a general retain corpus (default: the bundled retain corpus) beside the generic
# labels; it kept perplexity and knowledge at the subject's level in the demo (docs/results.md, "What we learned
# tuning the demo")
retain_term = true
# soft_labels = true   # the top-k generic distribution instead of its argmax: the demo's default (more knowledge
#                      # kept, as much forgotten); on the pretrained target it forgot less (docs/pretrained.md, trial T)
# precision = "bf16"   # bfloat16 autocast: about 2x faster training where the processor has native bf16
#                      # (docs/method.md, Precision); the key exists in [implant] and [reinforce] too
# relearn_rho = 0.05   # train against the relearning attack (docs/method.md): alone it cost the pretrained target
#                      # neighbours and knowledge; with retain text about the worlds to keep (its recipe, Z5) the
#                      # attack restored 0.595 against 0.722 (dev) at no cost outside the target; 1.3-1.7x the time

[evaluate]
# familiarity_prompts.jsonl / probability_prompts.jsonl live here (optional: the forgetting metrics of
# docs/evaluation.md are built from the corpus itself, see [evalsets])
prompts_dir = "."
# other_register_texts = "austen"   # a folder of .txt/.md prose in another register: other_register_perplexity
# relearn_roles = ["base", "unlearned"]   # attack the base model too, as the relearning control: what comes back
#                                         # beyond it (docs/evaluation.md); only where the base model never saw the
#                                         # target (an implant), so not for a model that learned it in pretraining
'''
