"""`obliviate run` refuses to reuse or build on a damaged artifact, names the part, and `--force STAGE` repairs it."""

from __future__ import annotations

from pipelines.cli import main


def _target(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i, who in enumerate(["Harry Potter met Ron Weasley at Hogwarts.", "Hermione Granger read at Hogwarts.",
                             "Albus Dumbledore spoke to Harry Potter.", "Ron Weasley and Harry Potter flew."]):
        (corpus / f"ch{i}.txt").write_text((who + " ") * 5)
    target = tmp_path / "t.toml"
    target.write_text('name = "tiny"\n[ingest]\nsources = ["corpus"]\n[anchors]\nmin_mentions = 2\n')
    return target


def test_damaged_parent_is_refused_then_repaired(tmp_path, capsys):
    ws, target = tmp_path / "ws", _target(tmp_path)
    assert main(["-w", str(ws), "run", str(target), "--until", "anchors"]) == 0
    extract_part = next(ws.glob("artifacts/extract/tiny/*/mentions/part-00000.parquet"))
    doc_part = next(ws.glob("artifacts/ingest/tiny/*/documents/part-00000.parquet"))
    doc_part.write_bytes(doc_part.read_bytes()[:100])  # truncated
    capsys.readouterr()
    assert main(["-w", str(ws), "run", str(target), "--until", "anchors"]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error")]
    assert len(err) == 1 and err[0].startswith("error: ingest ") and "of 'tiny' is damaged: documents/part-00000.parquet has 100 bytes" in err[0]
    assert err[0].endswith("rebuild it with `obliviate run TARGET_FILE --force ingest`")
    # a new anchors build (other settings) on the damaged corpus is refused the same way, before any work
    assert main(["-w", str(ws), "run", str(target), "--until", "anchors", "--set", "anchors.min_mentions=3"]) == 2
    assert "documents/part-00000.parquet has 100 bytes" in capsys.readouterr().err
    assert main(["-w", str(ws), "run", str(target), "--until", "anchors", "--force", "ingest"]) == 0
    assert main(["-w", str(ws), "verify"]) == 0
    capsys.readouterr()
    extract_part.unlink()
    assert main(["-w", str(ws), "run", str(target), "--until", "anchors"]) == 2
    assert "of 'tiny' is damaged: mentions/part-00000.parquet is missing; rebuild it with `obliviate run TARGET_FILE --force extract`" in capsys.readouterr().err
    assert main(["-w", str(ws), "run", str(target), "--until", "anchors", "--force", "extract"]) == 0
    assert main(["-w", str(ws), "verify"]) == 0
