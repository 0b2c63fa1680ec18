"""The tokens table that makes label changes read as words in SQL."""

from __future__ import annotations


def test_vocabulary_table_reads_token_ids(smollm2_tokenizer):
    from corpus_tools.blocks import backend_of, vocabulary_rows

    table = vocabulary_rows(backend_of(smollm2_tokenizer), "t", "v1")
    tokens = dict(zip(table.column("token_id").to_pylist(), table.column("token").to_pylist()))
    assert len(tokens) == len(smollm2_tokenizer)
    for word in (" Ron", " Potter", "Harry"):
        ids = smollm2_tokenizer(word, add_special_tokens=False).input_ids
        assert "".join(tokens[i] for i in ids) == word
