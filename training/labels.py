"""labels: generic labels for every trained position (docs/method.md), stored for any alpha.

Each model runs once per block: the subject on the translated block, the reinforced model on the
original. Blocks stream in parts of `blocks_per_part`; each part is one atomic Parquet file, so a
killed run resumes by skipping finished parts. Under `accelerate launch` each process takes every
n-th part and the main process publishes the artifact; a part's rows do not depend on which process
made it, so any number of processes gives the same table.
"""

from __future__ import annotations

import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import torch
from pydantic import BaseModel, ConfigDict, Field

from corpus_tools import faults
from corpus_tools.errors import ObliviateError
from corpus_tools.progress import Reporter, task
from corpus_tools.stage import Stage, produce
from corpus_tools.store import Artifact, Staging, Store
from training import generic
from training.data import has_split, split_filter
from training.distributed import accelerator
from training.models import load_model, load_tokenizer, model_folder

VERSIONED = {"alpha", "top_k", "blocks_per_part"}  # the rest changes speed, not rows
BLOCK_COLUMNS = ["block_id", "input_ids", "translated_ids", "position_map", "forbidden_tokens", "forbidden_from"]


class LabelSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alpha: float = Field(5.0, ge=0, description="Weight of the reinforced model's boost: v = g - alpha*relu(r - g).")
    top_k: int = Field(32, ge=1, le=4096, description="Top-k candidates of g stored per position, so any alpha can be relabelled without a model.")
    batch_size: int = Field(8, ge=1, description="Blocks per forward pass.")
    blocks_per_part: int = Field(64, ge=1, description="Blocks per Parquet part (the unit of resuming and of sharding across processes).")
    reuse: bool = Field(True, description="If labels of the same blocks and models exist at another alpha, relabel them instead of running the models.")
    forbid_originals: bool = Field(False, description="Also forbid, at every position of every block, the first token of each word of every anchored term as the corpus spells it (the target's own names: \" James\", \" Black\"), generic words exempt as in the forbidden-token rule: no generic label is one of the target's own names (docs/alignment.md).")


def _key(settings: dict) -> dict:
    """What a labels version depends on: VERSIONED, and forbid_originals only when set (older labels keep theirs)."""
    return {k: settings[k] for k in sorted(VERSIONED)} | ({"forbid_originals": True} if settings.get("forbid_originals") else {})


STAGE = Stage("labels", inputs={"blocks": "blocks", "subject": "implant", "reinforced": "reinforce", "relabel_of": "labels"},
              outputs=("generic_labels",), settings=LabelSettings, code_version="labels_v2",
              summary="Compute the generic labels: one forward of each model per block, top-k kept for any alpha.")


def compute_labels(store: Store, target: str, settings: LabelSettings, *, blocks: Artifact, subject: Artifact,
                   reinforced: Artifact, progress: Reporter | None = None) -> tuple[Artifact, bool]:
    """The `labels` artifact of these blocks and models; relabels existing top-k when only alpha differs."""
    inputs = {"blocks": blocks, "subject": subject, "reinforced": reinforced}
    source = {role: art.version for role, art in inputs.items()}

    def reuse() -> tuple[Artifact, bool] | None:
        if not settings.reuse:
            return None
        same = _existing(store, target, source, settings, alpha=settings.alpha)
        if same:
            return same[-1], False
        other = _existing(store, target, source, settings)
        if not other:
            return None
        other.sort(key=lambda a: "relabel_of" not in a.parents)  # prefer labels computed from the models
        return relabel(store, target, settings.alpha, labels=other[-1], progress=progress)

    acc = accelerator()
    started = time.perf_counter()

    def build(st: Staging, version: str) -> None:
        _label_parts(store, st, target, version, settings, blocks, subject, reinforced, acc, progress)
        acc.wait_for_everyone()
        if acc.is_main_process:
            st.stats = {**finish_stats(st), "seconds": round(time.perf_counter() - started, 2),
                        "processes": acc.num_processes, "relabelled": False}

    return produce(store, STAGE, target, key=_key(settings.model_dump()), inputs=inputs, build=build,
                   saved=settings.model_dump(), acc=acc, fallback=reuse)


def relabel(store: Store, target: str, alpha: float, *, labels: Artifact,
            progress: Reporter | None = None) -> tuple[Artifact, bool]:
    """New labels at `alpha` from a labels artifact's stored top-k, without running a model.

    Positions whose top-k cannot prove the argmax at this alpha keep the best top-k candidate and exact=False.
    """
    if labels.kind != "labels":
        raise ObliviateError(f"relabel needs a labels artifact, got {labels.kind} {labels.version}")
    if alpha < 0:
        raise ObliviateError(f"alpha must be >= 0, got {alpha}")
    saved = {**labels.settings, "alpha": float(alpha)}
    inputs = {"relabel_of": labels}
    for role in ("blocks", "subject", "reinforced"):
        version = labels.parents[role]
        found = [a for a in store.artifacts(target=target) if a.version == version and a.kind in ("blocks", "implant", "base", "reinforce")]
        if not found:
            raise ObliviateError(f"labels {labels.version}: its {role} {version} is gone")
        inputs[role] = found[0]
    acc = accelerator()
    started = time.perf_counter()

    def build(st: Staging, version: str) -> None:
        if not acc.is_main_process:  # cheap: no model, so the main process does it all
            return
        files = sorted((labels.path / "generic_labels").glob("part-*.parquet"))
        advance = task(progress, "relabel", len(files), "parts")
        done = st.done_parts("generic_labels")
        for f in files:
            index = int(f.stem.split("-")[1])
            if index not in done:
                st.write("generic_labels", relabel_part(f, version, float(alpha)), index=index)
            advance(1)
        st.stats = {**finish_stats(st), "seconds": round(time.perf_counter() - started, 3),
                    "relabelled": True, "relabel_of": labels.version, "source_alpha": labels.settings.get("alpha")}

    return produce(store, STAGE, target, key=_key(saved), inputs=inputs, build=build, saved=saved, acc=acc)


def _existing(store: Store, target: str, source: dict, settings: LabelSettings, alpha: float | None = None) -> list[Artifact]:
    return [a for a in store.artifacts("labels", target)
            if {r: a.parents.get(r) for r in source} == source and a.settings.get("top_k") == settings.top_k
            and bool(a.settings.get("forbid_originals")) == settings.forbid_originals
            and (alpha is None or a.settings.get("alpha") == alpha)]


def _label_parts(store, st: Staging, target, version, settings, blocks, subject, reinforced, acc, progress) -> None:
    n_blocks = sum(_forget(rb).num_rows for rb in store.iter_batches("blocks", blocks, columns=_columns(blocks, ["block_id"])))
    n_parts = -(-n_blocks // settings.blocks_per_part)
    mine = [p for p in range(n_parts) if p % acc.num_processes == acc.process_index]
    todo = set(mine) - st.done_parts("generic_labels")
    size = {p: min(settings.blocks_per_part, n_blocks - p * settings.blocks_per_part) for p in mine}
    advance = task(progress if acc.is_main_process else None, "labels", sum(size.values()), "blocks")
    advance(sum(size[p] for p in mine if p not in todo))
    if not todo:
        return
    g_model, r_model = load_model(subject, acc.device), load_model(reinforced, acc.device)
    if g_model.config.vocab_size != r_model.config.vocab_size:
        raise ObliviateError(f"subject {subject.version} and reinforced {reinforced.version} have different vocabularies")
    splits = (split_head(g_model), split_head(r_model))
    always = original_tokens(store, target, blocks, load_tokenizer(model_folder(subject))) if settings.forbid_originals else []
    for index, part in _parts(store, blocks, settings.blocks_per_part):
        if index not in todo:
            continue
        tables = []
        for start in range(0, len(part), settings.batch_size):
            batch = generic.forbid_everywhere(generic.collate(part[start:start + settings.batch_size]), always)
            tables.append(part_rows(target, version, settings, batch, g_model, r_model, acc.device, splits))
            advance(len(part[start:start + settings.batch_size]))
        st.write("generic_labels", pa.concat_tables(tables), index=index)
        faults.reached("labels_part")


def original_tokens(store: Store, target: str, blocks: Artifact, tokenizer) -> list[int]:
    """`forbid_originals`: the first token of each word of every anchored term as the corpus spells it (the
    `original` column of the blocks' substitutions), with and without a leading space (corpus_tools.align.FirstTokens),
    kept only when the token reads as a name's beginning on its own (name_piece)."""
    from corpus_tools.align import FirstTokens
    from corpus_tools.blocks import backend_of

    translation = store.require("translate", target, blocks.parents["translation"])
    originals = sorted(set(store.read("substitutions", translation, columns=["original"]).column("original").to_pylist()))
    first = FirstTokens(backend_of(tokenizer), every_word=True)
    return sorted(t for t in {t for text in originals for t in first(text)} if name_piece(tokenizer.decode([t])))


def name_piece(piece: str) -> bool:
    """Whether a token, forbidden at every position, can only start a name: capitalised and not itself a generic
    word. Unlike a translation's first token, which is forbidden only after the translation appeared, these hold
    everywhere, so a piece that is also a common word or a lower-case word's start stays allowed: " He" (of
    " Hedwig"), " the" (of " thestrals"), " For" (of " Forbidden"), " de" (of " dementors")."""
    from corpus_tools.align import generic_word

    word = piece.strip()
    return word.isalpha() and word[0].isupper() and not generic_word(word)


def _parts(store: Store, blocks: Artifact, per_part: int):
    """(part index, forget blocks as dicts) in table order, never more than one part in memory.

    Holdout blocks get no labels: unlearning never sees them (docs/evaluation.md)."""
    buf, index = [], 0
    for rb in store.iter_batches("blocks", blocks, batch_size=per_part, columns=_columns(blocks, BLOCK_COLUMNS)):
        buf.extend(_forget(rb).select(BLOCK_COLUMNS).to_pylist())
        while len(buf) >= per_part:
            yield index, buf[:per_part]
            buf, index = buf[per_part:], index + 1
    if buf:
        yield index, buf


def _columns(blocks: Artifact, columns: list[str]) -> list[str]:
    return columns + (["split"] if has_split(blocks) else [])


def _forget(batch) -> pa.Table:
    return split_filter(pa.Table.from_batches([batch]), "forget")


def split_head(model):
    """(body, head) with model(x).logits == head(body(x).last_hidden_state), checked on a probe; None when the
    model does more than a linear output layer (logit soft-capping, scaling), which then runs whole."""
    head = model.get_output_embeddings()
    body = getattr(model, model.base_model_prefix, None)
    if not isinstance(head, torch.nn.Linear) or body is None or body is model:
        return None
    device = next(model.parameters()).device
    probe = (torch.arange(1, 13, device=device)[None] * 7919) % model.config.vocab_size
    with torch.inference_mode():
        whole = model(input_ids=probe, use_cache=False).logits.float()
        split = head(body(input_ids=probe, use_cache=False).last_hidden_state).float()
    return (body, head) if torch.allclose(whole, split, rtol=1e-4, atol=1e-4) else None


def _row_logits(model, split, ids, mask, rows, pos):
    """The model's logits at (rows, pos) of a batch, computed lazily from hidden states when it splits."""
    if split is None:
        return generic.DenseLogits(model(input_ids=ids, attention_mask=mask, use_cache=False).logits, rows, pos)
    body, head = split
    hidden = body(input_ids=ids, attention_mask=mask, use_cache=False).last_hidden_state
    return generic.HeadLogits(hidden[rows, pos], head)


def part_rows(target: str, version: str, settings: LabelSettings, batch: generic.Batch, g_model, r_model,
              device, splits=(None, None)) -> pa.Table:
    """generic_labels rows of one batch: one forward of each model's body, then the output layers and the
    label math on trained positions only, a chunk of rows at a time (generic.label_rows)."""
    rows, pos, t_pos = generic.trained_rows(batch)
    if bool((t_pos >= batch.translated_mask.sum(1)[rows]).any()):
        bad = int(batch.block_id[rows[t_pos >= batch.translated_mask.sum(1)[rows]][0]])
        raise ObliviateError(f"block {bad}: position_map points past the end of translated_ids")
    with torch.inference_mode():
        rows_d, pos_d, t_pos_d = rows.to(device), pos.to(device), t_pos.to(device)
        g = _row_logits(g_model, splits[0], batch.translated_ids.to(device), batch.translated_mask.to(device),
                        rows_d, t_pos_d)
        r = _row_logits(r_model, splits[1], batch.input_ids.to(device), batch.attention_mask.to(device),
                        rows_d, pos_d)
        out = generic.label_rows(g, r, rows_d, pos_d, batch.forbidden_tokens.to(device),
                                 batch.forbidden_from.to(device), settings.alpha, settings.top_k)
    original = batch.input_ids[rows, pos + 1]
    return generic.rows_table(target, version, settings.alpha, batch.block_id[rows], pos, original, out)


def relabel_part(path: Path, version: str, alpha: float) -> pa.Table:
    """One stored part relabelled at `alpha` from its top-k columns."""
    table = pq.read_table(path)
    n = table.num_rows
    updates = {"labels_version": pa.array([version] * n, pa.string()), "alpha": pa.array([alpha] * n, pa.float32())}
    if n:
        topk = {c: torch.tensor(table[c].combine_chunks().flatten().to_numpy()).reshape(n, -1)
                for c in ("topk_ids", "topk_g", "topk_r")}
        threshold = torch.tensor(table["g_threshold"].to_numpy())
        label, exact = generic.topk_decision(topk["topk_ids"], topk["topk_g"], topk["topk_r"], threshold, alpha)
        updates |= {"label_token": pa.array(label.numpy(), pa.int32()), "exact": pa.array(exact.numpy())}
    for name, values in updates.items():
        table = table.set_column(table.schema.get_field_index(name), name, values)
    return table


def finish_stats(st: Staging) -> dict:
    """Counts over every written part (including parts of an earlier, killed run)."""
    n = changed = exact = 0
    for index in sorted(st.done_parts("generic_labels")):
        t = pq.read_table(st.part_path("generic_labels", index), columns=["original_token", "label_token", "exact"])
        n += t.num_rows
        changed += int(pc.sum(pc.not_equal(t["original_token"], t["label_token"])).as_py() or 0)
        exact += int(pc.sum(t["exact"].cast(pa.int64())).as_py() or 0)
    return {"positions": n, "changed_share": round(changed / n, 4) if n else 0.0,
            "exact_share": round(exact / n, 4) if n else 0.0}

