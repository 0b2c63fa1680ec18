"""The translate and blocks verbs, end to end through the CLI entry point."""

from __future__ import annotations

from corpus_tools.store import Store
from pipelines.cli import main


def test_translate_and_blocks_verbs(tmp_path, smollm2_tokenizer_dir, capsys):
    ws = tmp_path / "ws"
    (tmp_path / "a.txt").write_text("Harry met Hermione at Hogwarts. The Weasleys waved at Harry. " * 5)
    assert main(["--workspace", str(ws), "blocks", "--target", "hp"]) == 2
    assert "no translate artifact" in capsys.readouterr().err
    assert main(["--workspace", str(ws), "ingest", str(tmp_path / "a.txt"), "--target", "hp"]) == 0
    store = Store(ws)
    docs = store.require("ingest", "hp")
    with store.create("anchors", "hp", "anc1", parents=[docs.version], settings={}, code_version="test") as st:
        st.write("anchors", [{"target": "hp", "anchors_version": "anc1", "term": t, "replacement": r, "label": "PERSON",
                              "cluster": t, "source": "test"} for t, r in [("Harry", "Jon"), ("Hermione", "Sophie"),
                                                                            ("Weasley", "Huggins"), ("Hogwarts", "Mystic Academy")]])
    assert main(["--workspace", str(ws), "translate", "--target", "hp"]) == 0
    assert "25 substitutions" in capsys.readouterr().err
    assert main(["--workspace", str(ws), "blocks", "--target", "hp", "--model", str(smollm2_tokenizer_dir),
                 "--block-size", "32", "--min-block-tokens", "4"]) == 0
    assert "blocks" in capsys.readouterr().err
    n, trained = store.query("select count(*), sum(n_trained) from blocks")[0]
    assert n == 3 and trained > n * 10  # repeated anchors leave few trained positions in this text
    assert main(["--workspace", str(ws), "blocks", "--target", "hp", "--model", str(smollm2_tokenizer_dir),
                 "--block-size", "8", "--stride", "9"]) == 2
    assert "stride 9 > block_size 8" in capsys.readouterr().err


def test_vocabulary_table_reads_token_ids(smollm2_tokenizer):
    from corpus_tools.blocks import backend_of, vocabulary_rows

    table = vocabulary_rows(backend_of(smollm2_tokenizer), "t", "v1")
    tokens = dict(zip(table.column("token_id").to_pylist(), table.column("token").to_pylist()))
    assert len(tokens) == len(smollm2_tokenizer)
    for word in (" Ron", " Potter", "Harry"):
        ids = smollm2_tokenizer(word, add_special_tokens=False).input_ids
        assert "".join(tokens[i] for i in ids) == word
