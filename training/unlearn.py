"""unlearn: the Who's-Harry-Potter recipe, and the reference methods beside it (docs/method.md, docs/methods.md).

WHP (method "whp", the default): fine-tune the subject on the ORIGINAL blocks with the generic
labels as targets; positions without a generic label get no loss. Hard labels (the paper's and the
authors' scripts): cross-entropy against `label_token`. Soft labels (beyond the paper): KL divergence
to softmax(g - alpha*relu(r - g)) over the stored top-k candidates of each position. With
`retain_term`, each batch also carries retain blocks under the next-token loss.

Reference methods: "ga" and "gd" (training/gradient_ascent.py), "npo" (training/npo.py), each only a
loss and its data on the shared training loop, and "ensemble", the inference-time logit ensemble
(training/ensemble.py), which trains nothing.
"""

from __future__ import annotations

import math
from typing import Literal, Optional

import torch
import torch.nn.functional as F
from pydantic import Field, field_validator, model_validator

from corpus_tools.errors import ObliviateError
from corpus_tools.progress import Reporter
from corpus_tools.stage import Stage, produce, version_of
from corpus_tools.store import Artifact, Store
from training import gradient_ascent, npo
from training.data import (IGNORE, ForgetData, anchored_next_tokens, content_positions, next_token_labels, restrict,
                           translated_data, unlearn_data)
from training.loop import (Adversary, StepHook, TrainSettings, kl_to_teacher, lm_loss, model_loss, token_loss, train_key,
                           train_model)
from training.models import interpolate, load_model, load_tokenizer, model_folder, models_row
from training.name_swap import file_fingerprint, read_people, renamed_data
from training.nullspace import NullSpace
from training.repair import repair
from training.retain import retain_blocks, retain_data, retain_fingerprint

METHODS = ("whp", "ga", "gd", "npo", "ensemble")


class UnlearnSettings(TrainSettings):
    soft_labels: bool = Field(False, description="Train toward the top-k generic distribution (KL) instead of the argmax label.")
    method: Literal["whp", "ga", "gd", "npo", "ensemble"] = Field(
        "whp", description="whp (generic labels), ga (gradient ascent), gd (gradient difference), npo, or ensemble "
                           "(inference-time logit ensemble of subject and reinforced model, no training).")
    beta: float = Field(0.1, gt=0, description="NPO inverse temperature beta.")
    retain_term: bool = Field(False, description="WHP: add retain_weight x the next-token loss on the retain corpus "
                                                 "(each batch pairs every target block with a retain block).")
    retain_weight: float = Field(1.0, ge=0, description="Weight of the retain loss of gd, of npo with npo_retain and of whp with retain_term.")
    npo_retain: bool = Field(False, description="Add the retain loss to NPO (NPO+RT).")
    retain_corpus: Optional[str | list[str]] = Field(
        None, description="Folder (or list of folders) of .md/.txt retain texts for gd, npo_retain and retain_term "
                          "(default: the bundled retain corpus, disjoint from the evaluation texts).")
    alpha: float = Field(5.0, ge=0, description="Ensemble: logits v_b - alpha * relu(v_r - v_b).")
    positions: Literal["all", "content", "anchors", "known"] = Field(
        "all", description="WHP: train every labelled position (all), only those that predict a content token of "
                           "the original text (content: no function words, punctuation or the ~150 most frequent "
                           "English words, where most labels differ from the text without carrying the target), or "
                           "only those whose next token the translation changed (anchors: the original goes on with "
                           "an anchored term there), or only those anchor positions where the subject itself gives the "
                           "original next token at least known_p (known: where it knows the target).")
    known_p: float = Field(0.1, gt=0, le=1, description="positions = known: the subject's least probability of the "
                                                        "original next token, on the original text, at a trained position.")
    retain_loss: Literal["ce", "kl"] = Field(
        "ce", description="WHP's retain term: next-token cross-entropy on the retain text (ce), or the KL divergence "
                          "from the subject's own predictions on it (kl: keeps the subject's distribution there "
                          "rather than fitting the retain corpus; a frozen copy of the subject runs beside training).")
    retain_ce_weight: float = Field(0.0, ge=0, description="WHP with retain_loss kl: also add retain_ce_weight x the "
                                                           "retain text's next-token loss (both retain terms at once); "
                                                           "0: the KL alone.")
    retain_teacher: Literal["subject", "reinforced"] = Field(
        "subject", description="WHP with retain_loss kl: whose predictions on the retain text the KL holds: the "
                               "subject's (the paper's sense of keeping the rest), or the reinforced model's (a "
                               "fine-tune on the target's text, which completes other worlds' names more often than "
                               "the subject; docs/pretrained.md, trial RT1).")
    retain_slot_weight: float = Field(0.0, ge=0, description="WHP with retain_loss kl: the KL at a retain position "
                                                             "whose next token begins a capitalised content word (a name "
                                                             "slot: ' Frodo', ' Camelot') counts 1 + retain_slot_weight "
                                                             "times; 0: every position alike.")
    translated_weight: float = Field(0.0, ge=0, description="WHP: add translated_weight x the KL divergence from the "
                                                            "subject's predictions on each target block's translation "
                                                            "(the generic text, paired row for row with its original): "
                                                            "the model keeps naming as the subject does in the same "
                                                            "story with other names (docs/method.md); 0: off.")
    translated_names: Optional[str] = Field(
        None, description="WHP with translated_weight: a text file of real people the subject knows, one \"Given "
                          "Surname\" per line; the translated rows' generic people are renamed after them (\"Jon "
                          "Barker\" -> \"Marie Curie\"), so the subject's known surnames are held in the target's "
                          "own stories (training/name_swap.py, docs/method.md); None: the generic names.")
    label_weight: float = Field(1.0, ge=0, description="WHP: the weight of the generic-label loss on the target rows. "
                                                       "0 trains the other terms alone, on the same batches and steps: "
                                                       "the control that measures what a recipe's training costs "
                                                       "without any forgetting (docs/pretrained.md, control RC1); 1: "
                                                       "the paper.")
    forget_weight: float = Field(0.0, ge=0, description="WHP: add forget_weight x a token-level NPO term on the original "
                                                        "tokens that begin an anchored term (where the translation changed "
                                                        "the next token), referenced to the subject; 0: off (the paper).")
    forget_beta: float = Field(1.0, gt=0, description="Inverse temperature of WHP's forget term: its push on a token fades "
                                                      "once the token is about 1/forget_beta nats less likely than under "
                                                      "the subject.")
    salient_share: Optional[float] = Field(
        None, gt=0, le=1, description="WHP: train only this share of the trainable weights, those whose importance "
                                      "(diagonal Fisher) to the original anchored tokens most exceeds their importance "
                                      "to the retain text (training/saliency.py); None: every trainable weight.")
    salient_blocks: int = Field(32, ge=1, description="Forget and retain blocks each that estimate the importances of "
                                                      "salient_share.")
    salient_retain: Literal["all", "content"] = Field(
        "all", description="salient_share: the retain text's importance from the loss at every position (all) or only "
                           "where the next token is a content token (content: names and nouns, as `positions`).")
    relearn_rho: Optional[float] = Field(
        None, gt=0, description="Train against the relearning attack (every method but ensemble): before each step, "
                                "move the weights this far (L2 norm) along the steepest descent of the next-token loss "
                                "on the step's original target blocks (what an attacker fine-tunes on), take the step's "
                                "gradient there and apply it to the unmoved weights (sharpness-aware, Fan et al. 2025; "
                                "docs/method.md). 1.3 to 1.7x the training time, measured. None or 0: off (0 lets "
                                "`--set unlearn.relearn_rho=0` turn off what a target file sets).")
    relearn_moves: Literal["forget", "all"] = Field(
        "forget", description="WHP with relearn_rho: whose loss is taken at the moved weights: the target rows' only, "
                              "the retain terms staying at the unmoved weights (forget, as Fan et al.), or every row's "
                              "(all; the reference methods always take all).")

    project_energy: Optional[float] = Field(
        None, gt=0, lt=1, description="Keep the update out of what the retain corpus activates: each decoder linear "
                                      "layer's update D becomes D (I - U U^T), U the leading eigenvectors of the "
                                      "subject's inputs to that layer on the retain corpus, as many as carry this share "
                                      "of their energy (null-space projection, training/nullspace.py; docs/method.md). "
                                      "None or 0: off.")
    project_at: Literal["end", "step"] = Field(
        "end", description="With project_energy: project once, after training (end), or after every optimizer step "
                           "(step: the optimizer works within the projected space).")

    repair_steps: int = Field(
        0, ge=0, description="After training (and the projection of project_energy), this many more optimizer steps "
                             "with retain terms only, on repair_corpus: retain_weight x the KL divergence from the "
                             "subject's predictions plus retain_ce_weight x the next-token loss, at repair_lr (constant, "
                             "AdamW without weight decay), on the weights of train_only (training/repair.py, "
                             "docs/method.md). Every trained method; 0: off.")
    repair_lr: float = Field(1e-4, gt=0, description="The repair steps' learning rate.")
    repair_corpus: Optional[str | list[str]] = Field(
        None, description="Folder (or list of folders) of .md/.txt texts the repair steps train on (default: the "
                          "bundled retain corpus).")
    update_scale: float = Field(
        1.0, gt=0, le=1, description="Keep this share of the whole update (after the projection and the repair "
                                     "steps): the unlearned weights are subject + update_scale x (trained - subject), a "
                                     "point on the straight line back to the subject (docs/method.md). When the model "
                                     "of the same settings at 1 is stored, it is scaled instead of trained again. "
                                     "Every trained method; 1: the trained weights.")

    @field_validator("relearn_rho", "project_energy", mode="before")
    @classmethod
    def _zero_is_off(cls, value):
        return None if value == 0 else value

    @model_validator(mode="after")
    def _slots_weigh_the_kl(self):
        if self.label_weight != 1 and self.method != "whp":
            raise ValueError("label_weight weighs WHP's generic-label loss: it needs method = \"whp\"")
        if self.label_weight != 1 and not (self.retain_term or self.forget_weight or self.translated_weight):
            raise ValueError("label_weight weighs the generic-label loss against the other WHP terms: with none of "
                             "retain_term, forget_weight or translated_weight on it only rescales the learning rate")
        if self.retain_slot_weight and not (self.retain_term and self.retain_loss == "kl"):
            raise ValueError("retain_slot_weight weighs the KL retain term: it needs retain_term = true and "
                             "retain_loss = \"kl\"")
        if self.repair_steps and self.method == "ensemble":
            raise ValueError("repair_steps trains the unlearned model further: method ensemble trains nothing")
        if self.update_scale != 1 and self.method == "ensemble":
            raise ValueError("update_scale scales a trained update: method ensemble trains nothing")
        if self.translated_names and not self.translated_weight:
            raise ValueError("translated_names renames the translated rows of translated_weight: set translated_weight "
                             "> 0")
        if self.retain_teacher != "subject" and not (self.retain_term and self.retain_loss == "kl"):
            raise ValueError("retain_teacher chooses the KL retain term's teacher: it needs retain_term = true and "
                             "retain_loss = \"kl\"")
        if self.retain_teacher != "subject" and (self.translated_weight or self.repair_steps):
            raise ValueError("retain_teacher = \"reinforced\" cannot be combined with translated_weight or "
                             "repair_steps, which hold the subject")
        if self.retain_slot_weight and self.translated_weight:
            raise ValueError("retain_slot_weight and translated_weight cannot be combined: the name slots are marked on "
                             "the retain corpus only")
        return self


STAGE = Stage("unlearn", inputs={"blocks": "blocks", "labels": "labels", "subject": "implant", "reinforced": "reinforce"},
              outputs=("models",), settings=UnlearnSettings, code_version="unlearn_v2", model_role="unlearned",
              summary="Make the unlearned model: the subject fine-tuned toward the generic labels (or a reference method).")


def version_key(settings: UnlearnSettings) -> dict:
    """What a method's model depends on: the training settings and that method's own options only."""
    if settings.method == "ensemble":
        return {"method": "ensemble", "alpha": settings.alpha}
    key = {"method": settings.method, **train_key(settings, include=set(TrainSettings.model_fields))}
    if settings.method == "whp":
        key |= {"soft_labels": settings.soft_labels, "retain_term": settings.retain_term}
        if settings.positions != "all":  # absent at the default: models made before the option keep their versions
            key["positions"] = settings.positions
        if settings.positions == "known":
            key["known_p"] = settings.known_p
        if settings.retain_term and settings.retain_loss != "ce":  # likewise
            key["retain_loss"] = settings.retain_loss
            if settings.retain_ce_weight > 0:  # likewise
                key["retain_ce_weight"] = settings.retain_ce_weight
            if settings.retain_slot_weight > 0:  # likewise
                key["retain_slot_weight"] = settings.retain_slot_weight
            if settings.retain_teacher != "subject":  # likewise; the reinforced model's version is an input then
                key["retain_teacher"] = settings.retain_teacher
        if settings.translated_weight > 0:  # likewise
            key["translated_weight"] = settings.translated_weight
            if settings.translated_names:  # likewise
                key["translated_names"] = file_fingerprint(settings.translated_names)
        if settings.label_weight != 1:  # likewise
            key["label_weight"] = settings.label_weight
        if settings.forget_weight > 0:  # likewise
            key |= {"forget_weight": settings.forget_weight, "forget_beta": settings.forget_beta}
        if settings.salient_share is not None:  # likewise
            key |= {"salient_share": settings.salient_share, "salient_blocks": settings.salient_blocks}
            if settings.salient_retain != "all":  # likewise
                key["salient_retain"] = settings.salient_retain
    if settings.method == "npo":
        key |= {"beta": settings.beta, "npo_retain": settings.npo_retain}
    if settings.relearn_rho is not None:  # absent when off: models made before the option keep their versions
        key["relearn_rho"] = settings.relearn_rho
        if settings.method == "whp" and settings.relearn_moves != "all":  # absent at "all", the first models' only way
            key["relearn_moves"] = settings.relearn_moves
    if settings.project_energy is not None:  # absent when off: models made before the option keep their versions
        key |= {"project_energy": settings.project_energy, "project_at": settings.project_at}
    if uses_retain(settings):
        key |= {"retain_weight": settings.retain_weight, "retain_corpus": retain_fingerprint(settings.retain_corpus)}
    if settings.repair_steps:  # absent when off: models made before the option keep their versions
        key["repair"] = {"steps": settings.repair_steps, "lr": settings.repair_lr, "kl_weight": settings.retain_weight,
                         "ce_weight": settings.retain_ce_weight,
                         "corpus": retain_fingerprint(settings.repair_corpus, "repair corpus")}
    if settings.update_scale != 1:  # absent at 1: models made before the option keep their versions
        key["update_scale"] = settings.update_scale
    return key


def uses_retain(settings: UnlearnSettings) -> bool:
    """Whether the method reads the retain corpus: gd always, npo with npo_retain, whp with retain_term or
    salient_share (its importances), every trained method with project_energy (the text whose activations it keeps)."""
    if settings.project_energy is not None and settings.method != "ensemble":
        return True
    whp = settings.retain_term or settings.salient_share is not None
    return {"gd": True, "npo": settings.npo_retain, "whp": whp}.get(settings.method, False)


def unlearn(store: Store, target: str, settings: UnlearnSettings, *, blocks: Artifact | None,
            labels: Artifact | None = None, subject: Artifact, reinforced: Artifact | None = None,
            progress: Reporter | None = None, on_step: StepHook | None = None) -> tuple[Artifact, bool]:
    """The unlearned model of `settings.method`, registered in `models` with that method.

    whp needs `blocks` and `labels`; ga, gd and npo need `blocks`; ensemble needs `reinforced`.
    """
    method = settings.method
    if method == "ensemble" and settings.relearn_rho is not None:
        raise ObliviateError("unlearn: relearn_rho trains against the relearning attack; method ensemble trains nothing")
    if method == "ensemble" and settings.project_energy is not None:
        raise ObliviateError("unlearn: project_energy projects a trained update; method ensemble trains nothing")
    if method == "ensemble":
        return _ensemble(store, target, settings, subject=subject, reinforced=reinforced)
    if blocks is None:
        raise ObliviateError(f"unlearn method {method} needs a blocks artifact")
    inputs = {"blocks": blocks, "subject": subject}
    teacher: dict = {}  # the frozen subject (retain_loss "kl", translated_weight, repair_steps), copied before training,
    # or with retain_teacher "reinforced" the reinforced model
    if method in ("ga", "gd"):
        make_data, loss = gradient_ascent.objective(store, settings, blocks)
    elif method == "npo":
        make_data, loss = npo.objective(store, settings, blocks)
    else:
        if labels is None or labels.kind != "labels":
            got = "nothing" if labels is None else f"{labels.kind} {labels.version}"
            raise ObliviateError(f"unlearn needs a labels artifact, got {got}")
        if labels.parents.get("blocks") != blocks.version:
            raise ObliviateError(f"labels {labels.version} were computed on blocks {labels.parents.get('blocks')}, "
                                 f"not {blocks.version}")
        inputs["labels"] = labels
        if settings.retain_teacher == "reinforced":
            if reinforced is None:
                raise ObliviateError("unlearn: retain_teacher = \"reinforced\" needs the reinforced model")
            inputs["reinforced"] = reinforced

        def make_data(model, folder):
            if settings.retain_teacher == "reinforced" and "model" not in teacher:
                teacher["model"] = load_model(reinforced, device=next(model.parameters()).device).requires_grad_(False)
            if ((settings.retain_term and settings.retain_loss == "kl") or settings.translated_weight) \
                    and "model" not in teacher:
                teacher["model"] = frozen_copy(model)
            decode = None
            if settings.positions == "content" or settings.salient_retain == "content" or settings.retain_slot_weight:
                tok = load_tokenizer(folder)
                decode = lambda tid: tok.decode([tid])  # noqa: E731
            data = unlearn_data(store, blocks, labels, pad_id=0, soft=settings.soft_labels,
                                decode=decode if settings.positions == "content" else None,
                                anchors_only=settings.positions in ("anchors", "known"))
            retain = retain_blocks(settings, folder, data.input_ids.shape[1]) if uses_retain(settings) else None
            salient = settings.salient_share is not None
            known = settings.positions == "known"
            anchored = anchored_next_tokens(store, blocks, pad_id=0) if salient or settings.forget_weight or known else None
            ref = None  # the untouched subject's log-prob of each anchored original token
            if known or settings.forget_weight:
                ref = npo.reference_logp(model, anchored, settings.batch_size, per_token=True, progress=progress)
            if known:
                data = _known_only(data, anchored, ref, settings)
            if salient:
                _mask_salient(model, settings, anchored, retain, decode, progress)
            retain = retain if settings.retain_term else None  # read for the importances only
            if not settings.retain_term and not settings.forget_weight and not settings.translated_weight:
                return data
            translated = None
            if settings.translated_names:
                translated = renamed_data(store, blocks, load_tokenizer(folder), read_people(settings.translated_names),
                                          data.input_ids.shape[1])
            elif settings.translated_weight:
                translated = translated_data(store, blocks, 0, data.input_ids.shape[1])
            slots = None
            if settings.retain_slot_weight:
                # never at or past a block's last real token: the positions without a retain label
                slots = content_positions(retain.input_ids, retain.attention_mask.sum(1), decode, capitalised=True)
                if progress is not None:
                    progress.log(f"unlearn: {int(slots.sum()):,} of {int((retain.labels != IGNORE).sum()):,} retain "
                                 f"positions precede a name (retain_slot_weight {settings.retain_slot_weight})")
            if not settings.forget_weight:
                return ForgetData(data, retain, retain_slots=slots, translated=translated)
            return ForgetData(data, retain, ref_logp=ref, anchor_targets=anchored.labels, retain_slots=slots,
                              translated=translated)

        loss = whp_loss(settings, teacher)
    adversary = None
    if settings.relearn_rho is not None:
        adversary = Adversary(settings.relearn_rho, relearn_loss,
                              split_rows if method == "whp" and settings.relearn_moves == "forget" else None)
    finish = None
    if settings.project_energy is not None:
        make_data, on_step, finish = _null_space(settings, make_data, on_step, progress)
    if settings.repair_steps:
        make_data, finish = _repair(settings, make_data, finish, teacher, progress)
    trained = None
    if settings.update_scale != 1:
        trained = _stored_unscaled(store, target, settings, inputs)
        finish = _scaled(settings.update_scale, subject, None if trained is not None else finish)
    return train_model(store, STAGE, target, settings, key=version_key(settings), inputs=inputs, parent=subject,
                       method=method, make_data=make_data, loss_fn=loss, progress=progress, on_step=on_step,
                       adversary=adversary, finish=finish, trained=trained)


def _stored_unscaled(store: Store, target: str, settings: UnlearnSettings, inputs: dict) -> Artifact | None:
    """The stored model of the same settings and inputs at update_scale 1, if any: scaling it gives the same weights
    as training again (training is deterministic under a seed), in seconds."""
    version, _ = version_of(STAGE, version_key(settings.model_copy(update={"update_scale": 1.0})), inputs)
    found = store.get(STAGE.name, target, version)
    if found is not None:
        store.check_once(found)  # built on like any reused artifact: a damaged one is an error naming it
    return found


def _scaled(scale: float, subject: Artifact, finish):
    """A `finish` that runs `finish` (the projection, the repair steps), then keeps `scale` of the whole update:
    every weight becomes subject + scale x (weight - subject)."""

    def end(model) -> dict:
        stats = finish(model) if finish is not None else {}
        start = load_model(subject, device=next(model.parameters()).device).state_dict()
        model.load_state_dict(interpolate(start, model.state_dict(), scale))
        return stats | {"update_scale": scale}

    return end


def _null_space(settings: UnlearnSettings, make_data, on_step: StepHook | None, progress: Reporter | None):
    """`make_data`, `on_step` and a `finish` that keep the update out of the retain corpus's directions
    (training/nullspace.py): the bases come from the untouched subject, when the data are made."""
    held: dict = {}

    def make(model, folder):
        data = make_data(model, folder)
        if isinstance(data, ForgetData) and data.retain is not None:  # the method read the retain corpus already
            keep = data.retain
        else:
            keep = retain_blocks(settings, folder, _block_width(data))
        ns = NullSpace(model, keep, settings.project_energy, settings.batch_size, progress, settings.train_only)
        held["ns"] = ns
        if progress is not None:
            progress.log(f"unlearn: projecting the update of each of {len(ns.layers)} trained decoder linear layers off "
                         f"{ns.mean_rank:.1f} keep-text directions on average (project_energy {settings.project_energy}, "
                         f"at {settings.project_at})")
        return data

    def step(i: int, loss: float) -> None:
        held["ns"].apply()
        if on_step is not None:
            on_step(i, loss)

    def finish(model) -> dict:
        stats = {"projected_rank_mean": round(held["ns"].mean_rank, 2)}
        if settings.project_at == "end":  # after every step, a last projection would take only the last step's share
            stats["projected_share_removed"] = round(held["ns"].share_on_bases(), 6)
        held["ns"].apply()
        return stats

    return make, step if settings.project_at == "step" else on_step, finish


def _block_width(data) -> int:
    """The width of a method's target blocks (of the forget side of forget/retain pairs): text read beside them is cut
    as wide."""
    return (data.forget if isinstance(data, ForgetData) else data).input_ids.shape[1]


def _repair(settings: UnlearnSettings, make_data, finish, teacher: dict, progress: Reporter | None):
    """`make_data` and a `finish` that end training with `settings.repair_steps` repair steps (training/repair.py)
    toward the untouched subject, after `finish` (the projection) if given. The subject is copied before the method
    makes its data, into `teacher`, which the method's own teacher terms share."""
    held: dict = {}

    def make(model, folder):
        if "model" not in teacher:
            teacher["model"] = frozen_copy(model)
        data = make_data(model, folder)
        held["data"] = retain_data(settings.repair_corpus, load_tokenizer(folder), _block_width(data),
                                   what="repair corpus")
        return data

    def end(model) -> dict:
        stats = finish(model) if finish is not None else {}
        device = next(model.parameters()).device
        return stats | repair(model, teacher["model"].to(device), held["data"], settings.repair_steps,
                              lr=settings.repair_lr, train_only=settings.train_only, kl_weight=settings.retain_weight,
                              ce_weight=settings.retain_ce_weight, batch_size=settings.batch_size, seed=settings.seed,
                              precision=settings.precision, device=device, progress=progress)

    return make, end


def _known_only(data, anchored, logp: torch.Tensor, settings: UnlearnSettings):
    """`data` with labels only at the anchor positions where the untouched subject gives the original next
    token at least `known_p` (`logp`: its log-probability of each anchored token; docs/method.md): the
    positions that hold what it knows of the target."""
    keep = (anchored.labels != IGNORE) & (logp >= math.log(settings.known_p))
    data = restrict(data, keep)
    if not bool((data.labels != IGNORE).any()):
        raise ObliviateError(f"positions = 'known': the subject gives no anchored original token {settings.known_p} or "
                             f"more; lower [unlearn] known_p")
    return data


def _mask_salient(model, settings: UnlearnSettings, anchored, retain, decode, progress: Reporter | None) -> None:
    """Restrict training to `settings.salient_share` of the trainable weights (training/saliency.py)."""
    from training.data import TrainData
    from training.loop import trainable
    from training.saliency import fisher, mask_gradients, salient_masks

    if settings.salient_retain == "content":
        lengths = retain.attention_mask.sum(1)
        keep = content_positions(retain.input_ids, lengths, decode)
        retain = TrainData(retain.input_ids, retain.attention_mask, retain.labels.masked_fill(~keep, IGNORE))
    params = trainable(model, settings.train_only)
    size = dict(blocks=settings.salient_blocks, batch_size=settings.batch_size, progress=progress)
    forget = fisher(model, anchored, params, label="importance to the target", **size)
    kept = fisher(model, retain, params, label="importance to the retain text", **size)
    masks = salient_masks(forget, kept, settings.salient_share)
    mask_gradients(params, masks)
    if progress is not None:
        chosen = sum(int(m.sum()) for m in masks)
        progress.log(f"unlearn: training {chosen:,} of {sum(m.numel() for m in masks):,} weights (salient_share "
                     f"{settings.salient_share})")


def _ensemble(store: Store, target: str, settings: UnlearnSettings, *, subject: Artifact,
              reinforced: Artifact | None) -> tuple[Artifact, bool]:
    """An unlearned "model" that is a manifest of the logit ensemble of subject and reinforced model; nothing trained."""
    from training.ensemble import write_manifest

    if reinforced is None or reinforced.kind != "reinforce":
        got = "nothing" if reinforced is None else f"{reinforced.kind} {reinforced.version}"
        raise ObliviateError(f"method ensemble needs a reinforced model (a reinforce artifact), got {got}")
    saved = settings.model_dump()

    def build(st, version: str) -> None:
        write_manifest(st.dir / "model", base=model_folder(subject), reinforced=model_folder(reinforced),
                       alpha=settings.alpha, final=store.final_path("unlearn", target, version) / "model")
        base = subject.stats.get("base_model") or subject.settings.get("spec") or subject.version
        row = models_row(store, STAGE, target, version, parent=subject, method="ensemble", base_model=base, settings=saved)
        st.write("models", [row])
        st.stats = {"path": row["path"], "base_model": base, "method": "ensemble", "alpha": settings.alpha,
                    "reinforced": reinforced.version}

    return produce(store, STAGE, target, key=version_key(settings), inputs={"subject": subject, "reinforced": reinforced},
                   build=build, saved=saved)


def whp_loss(settings: UnlearnSettings, teacher: dict | None = None):
    """`label_weight` x the generic-label loss on the target rows, plus `forget_weight` x token-level NPO on their
    anchored tokens (forget term), plus `retain_weight` x the retain rows' loss (retain term: their next-token loss,
    or with retain_loss "kl" the KL divergence from `teacher["model"]`'s predictions, counted 1 +
    `retain_slot_weight` times at the batch's `retain_slots`, plus `retain_ce_weight` x their next-token loss),
    plus `translated_weight` x the KL divergence from the teacher on the batch's translated rows; None (the plain
    token loss) when no term is on. The teacher runs once a batch, over the rows its terms read: every row that is not a
    target row with the KL retain term, the translated rows alone otherwise."""
    if not settings.retain_term and not settings.forget_weight and not settings.translated_weight:
        return None

    def loss(logits, batch):
        f = batch["forget"]
        target = {k: v for k, v in batch.items() if k in ("soft_ids", "soft_p")} | {"labels": batch["labels"][f]}
        out = settings.label_weight * token_loss(logits[f], target)
        if settings.forget_weight and bool(f.any()):
            out = out + settings.forget_weight * npo.token_npo_loss(logits[f], batch["anchor_targets"], batch["ref_logp"],
                                                                    settings.forget_beta)
        if bool(f.all()):  # no retain rows in this batch (relearn_rho takes them apart, split_rows)
            return out
        t = batch.get("translated", torch.zeros_like(f))
        r = ~f & ~t  # the retain corpus's rows
        kl = settings.retain_term and settings.retain_loss == "kl"
        need = ~f if kl else t  # the rows the teacher reads: one pass over all of them
        t_logits = None
        if bool(need.any()):
            with torch.no_grad():
                ids, mask = batch["input_ids"][need], batch["attention_mask"][need]
                t_logits = teacher["model"](input_ids=ids, attention_mask=None if bool(mask.all()) else mask,
                                            use_cache=False).logits
        if bool(r.any()) and kl:
            slots = batch.get("retain_slots")
            weights = None if slots is None else 1.0 + settings.retain_slot_weight * slots.float()
            out = out + settings.retain_weight * kl_to_teacher(logits[r], t_logits[r[need]], batch["labels"][r], weights)
            if settings.retain_ce_weight:
                out = out + settings.retain_ce_weight * lm_loss(logits[r], batch["labels"][r])
        elif bool(r.any()) and settings.retain_term:
            out = out + settings.retain_weight * lm_loss(logits[r], batch["labels"][r])
        if bool(t.any()):
            out = out + settings.translated_weight * kl_to_teacher(logits[t], t_logits[t[need]], batch["labels"][t])
        return out
    return loss


def relearn_loss(model, batch: dict) -> torch.Tensor:
    """The relearning attacker's loss on a batch: the next-token loss of its target rows (the original blocks; all
    rows when the batch holds no retain rows), at every position."""
    rows, _ = split_rows(batch)
    ids, mask = rows["input_ids"], rows["attention_mask"]
    return model_loss(model, {"input_ids": ids, "attention_mask": mask, "labels": next_token_labels(ids, mask)}, token_loss)


def split_rows(batch: dict) -> tuple[dict, dict | None]:
    """A forget/retain batch (ForgetData.batch) as (its target rows, its retain rows or None): the tensors of every
    row are cut; those of the target rows alone (soft targets, the forget term's anchored tokens) go with them."""
    f = batch.get("forget")
    if f is None or bool(f.all()):  # target rows only
        return batch, None
    every = ("input_ids", "attention_mask", "labels", "forget") + (("translated",) if "translated" in batch else ())
    target = {k: (v[f] if k in every else v) for k, v in batch.items() if k != "retain_slots"}
    rest = {k: batch[k][~f] for k in every}
    if "retain_slots" in batch:  # already one row per retain row
        rest["retain_slots"] = batch["retain_slots"]
    return target, rest


def frozen_copy(model):
    """A copy of `model` for inference only: no gradients, eval mode."""
    import copy

    out = copy.deepcopy(model).eval()
    out.requires_grad_(False)
    return out
