"""One row type per table, defined once: the SQL contract (docs/stages.md).

Each stage writes its tables through the store with these schemas; the columns match the SQL
views one-to-one. Columns may be added; the documented columns are never renamed.
"""

from __future__ import annotations

import pyarrow as pa

S, I32, I64, F32, F64, B = pa.string(), pa.int32(), pa.int64(), pa.float32(), pa.float64(), pa.bool_()


def _schema(*fields: tuple[str, pa.DataType]) -> pa.Schema:
    return pa.schema([pa.field(name, kind) for name, kind in fields])


SCHEMAS: dict[str, pa.Schema] = {
    "documents": _schema(
        ("target", S), ("corpus_version", S), ("doc_id", S), ("source", S), ("title", S),
        ("text", S), ("n_chars", I64), ("sha256", S), ("encoding", S),
    ),
    "rejected_inputs": _schema(("target", S), ("corpus_version", S), ("source", S), ("reason", S)),
    "mentions": _schema(
        ("target", S), ("corpus_version", S), ("extract_version", S), ("doc_id", S),
        ("start_char", I64), ("end_char", I64), ("text", S), ("label", S), ("source", S),
    ),
    "anchor_candidates": _schema(
        ("target", S), ("anchors_version", S), ("term", S), ("label", S), ("n_mentions", I64),
        ("n_docs", I64), ("specificity", F64), ("zipf", F64), ("cluster", S),
        ("decision", S), ("reason", S), ("replacement", S),
    ),
    "anchors": _schema(
        ("target", S), ("anchors_version", S), ("term", S), ("replacement", S), ("label", S),
        ("cluster", S), ("source", S),
    ),
    "translated_documents": _schema(
        ("target", S), ("translation_version", S), ("doc_id", S), ("text", S),
    ),
    "substitutions": _schema(
        ("target", S), ("translation_version", S), ("doc_id", S), ("start_char", I64),
        ("end_char", I64), ("term", S), ("replacement", S), ("t_start_char", I64),
        ("t_end_char", I64), ("original", S), ("translated", S),
    ),
    # position_map[i] = translated position whose logits give the label of original position i
    # (the label predicts original token i+1), or -1 for no loss. forbidden_tokens[k] is
    # forbidden at every original position >= forbidden_from[k]. text / translated_text: the block's
    # original characters [start_char, end_char) and its translation, for audits in SQL.
    "blocks": _schema(
        ("target", S), ("blocks_version", S), ("block_id", I64), ("doc_id", S),
        ("start_char", I64), ("end_char", I64), ("t_start_char", I64), ("t_end_char", I64),
        ("input_ids", pa.list_(I32)), ("translated_ids", pa.list_(I32)),
        ("position_map", pa.list_(I32)), ("forbidden_tokens", pa.list_(I32)),
        ("forbidden_from", pa.list_(I32)), ("n_trained", I32), ("text", S), ("translated_text", S),
        ("split", S),  # "forget" (trained on) or "holdout" (kept out of training; docs/evaluation.md)
    ),
    # the tokenizer's vocabulary, written with each blocks version: join on token ids to read them
    "tokens": _schema(("target", S), ("blocks_version", S), ("token_id", I32), ("token", S)),
    "generic_labels": _schema(
        ("target", S), ("labels_version", S), ("block_id", I64), ("position", I32),
        ("original_token", I32), ("label_token", I32), ("alpha", F32),
        ("topk_ids", pa.list_(I32)), ("topk_g", pa.list_(F32)), ("topk_r", pa.list_(F32)),
        ("g_threshold", F32), ("exact", B), ("exact_up_to_alpha", F32),
    ),
    "models": _schema(
        ("target", S), ("role", S), ("version", S), ("path", S), ("parent_version", S),
        ("method", S), ("base_model", S), ("settings", S),
    ),
    "metrics": _schema(
        ("target", S), ("model_role", S), ("model_version", S), ("metric", S), ("value", F64),
        ("n", I64), ("evaluate_version", S), ("method", S),
        # 95% interval and below-chance flag of the forgetting metrics (null for the others); see docs/evaluation.md
        ("ci_low", F64), ("ci_high", F64), ("below_chance", B),
    ),
    # evaluation items built from the corpus and dictionary (training/evalsets.py): kind is verbatim, cloze or
    # membership; split is forget or holdout; answer / alternative carry their leading space (appended to prompt)
    "eval_items": _schema(
        ("target", S), ("eval_items_version", S), ("kind", S), ("item_id", S), ("split", S), ("doc_id", S),
        ("start_char", I64), ("end_char", I64), ("prompt", S), ("answer", S), ("alternative", S), ("term", S),
        ("text", S), ("n_prompt_tokens", I32), ("n_answer_tokens", I32),
    ),
    # one score per (model, item, metric), with the model's output text where there is one
    "eval_scores": _schema(
        ("target", S), ("evaluate_version", S), ("model_role", S), ("model_version", S), ("method", S),
        ("item_id", S), ("split", S), ("metric", S), ("value", F64), ("output", S),
    ),
    # the relearning attack's curve (training/relearn.py): metric values after each measured step (0 = before)
    "relearn_curve": _schema(
        ("target", S), ("evaluate_version", S), ("model_role", S), ("model_version", S), ("method", S),
        ("step", I32), ("loss", F64), ("metric", S), ("value", F64),
    ),
}


def to_arrow(table: str, rows) -> pa.Table:
    """Rows (list of dicts, a pyarrow Table or a polars DataFrame) as an Arrow table of `table`'s schema."""
    schema = SCHEMAS[table]
    if isinstance(rows, pa.Table):
        data = rows
    elif hasattr(rows, "to_arrow"):
        data = rows.to_arrow()
    else:
        return pa.Table.from_pylist(list(rows), schema=schema)
    missing = [n for n in schema.names if n not in data.column_names]
    if missing:
        raise ValueError(f"table {table!r} rows lack columns {missing}")
    return data.select(schema.names).cast(schema)
