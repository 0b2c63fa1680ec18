"""ingest: formats, cleaning, stable ids, duplicates, and a reason for every rejected file."""

from __future__ import annotations

import json
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corpus_tools.errors import ObliviateError
from corpus_tools.ingest import IngestSettings, clean_text, ingest


def _ingest(store, *sources, **kw):
    return ingest(store, "t", IngestSettings(sources=[str(s) for s in sources], **kw))


def _docs(store, art):
    return {r["doc_id"]: r for r in store.read("documents", art).to_pylist()}


def _rejected(store, art):
    return {r["source"]: r["reason"] for r in store.read("rejected_inputs", art).to_pylist()}


def test_mixed_folder(store, tmp_path):
    d = tmp_path / "in"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_text("First document.\r\nSecond line.\n")
    (d / "sub" / "b.md").write_text("# Title B\n\nBody of b.")
    (d / "img.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (d / "latin.txt").write_bytes("Caf\xe9 cr\xe8me br\xfbl\xe9e".encode("latin-1"))
    (d / "empty.txt").write_text("")
    (d / "huge.txt").write_text("word " * 40_000)
    (d / "nul.txt").write_bytes(b"abc\x00def")
    (d / "rows.jsonl").write_text(json.dumps({"text": "row one", "id": "r1"}) + "\n{oops\n" + json.dumps({"title": "no text"}) + "\n")
    pq.write_table(pa.table({"text": ["from parquet"], "title": ["P"]}), d / "p.parquet")
    (d / ".hidden.txt").write_text("ignored")
    art, created = _ingest(store, d)
    assert created
    docs = _docs(store, art)
    assert set(docs) == {"a", "sub/b", "latin", "rows#r1", "p#0"}
    assert docs["a"]["text"] == "First document.\nSecond line."
    assert docs["sub/b"]["title"] == "Title B"
    assert docs["latin"]["text"] == "Café crème brûlée" and docs["latin"]["encoding"] == "cp1252"
    assert docs["p#0"]["title"] == "P"
    rejected = _rejected(store, art)
    assert set(rejected) == {"img.png", "empty.txt", "huge.txt", "nul.txt", "rows.jsonl:2", "rows.jsonl#3"}
    assert "unsupported file type '.png'" in rejected["img.png"]
    assert "empty" in rejected["empty.txt"]
    assert "200000 characters" in rejected["huge.txt"]
    assert "NUL" in rejected["nul.txt"]
    assert "invalid JSON" in rejected["rows.jsonl:2"]
    assert "no string field 'text'" in rejected["rows.jsonl#3"]


def test_reingest_is_noop_and_change_makes_new_version(store, tmp_path):
    (tmp_path / "a.txt").write_text("alpha")
    first, created = _ingest(store, tmp_path / "a.txt")
    again, created_again = _ingest(store, tmp_path / "a.txt")
    assert created and not created_again and again.version == first.version
    (tmp_path / "a.txt").write_text("alpha beta")
    changed, created = _ingest(store, tmp_path / "a.txt")
    assert created and changed.version != first.version
    assert len(store.artifacts("ingest", "t")) == 2


def test_exact_duplicates_dropped(store, tmp_path):
    (tmp_path / "a.txt").write_text("same text")
    (tmp_path / "b.txt").write_text("same text\n")
    art, _ = _ingest(store, tmp_path)
    assert list(_docs(store, art)) == ["a"]
    assert _rejected(store, art) == {"b.txt": "exact duplicate of a"}


def test_gutenberg_and_unicode_cleaning():
    raw = ("The Project Gutenberg eBook of X\r\nlicense blah\r\n*** START OF THE PROJECT GUTENBERG EBOOK X ***\r\n"
           "Cafe\u0301 story.\r\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\r\nmore license")
    assert clean_text(raw) == "Caf\u00e9 story."


def test_glob_and_missing_paths(store, tmp_path):
    (tmp_path / "a.txt").write_text("alpha")
    (tmp_path / "b.md").write_text("beta")
    art, _ = _ingest(store, tmp_path / "*.txt")
    assert list(_docs(store, art)) == ["a"]
    with pytest.raises(ObliviateError, match="does not exist"):
        _ingest(store, tmp_path / "nope")
    with pytest.raises(ObliviateError, match="matches no file"):
        _ingest(store, tmp_path / "*.parquet")


def test_all_rejected_is_an_error(store, tmp_path):
    (tmp_path / "e.txt").write_text("  \n")
    with pytest.raises(ObliviateError, match="no usable document"):
        _ingest(store, tmp_path)
    assert store.artifacts() == []


def test_saved_datasets_folder(store, tmp_path):
    import datasets

    datasets.Dataset.from_dict({"text": ["one", "two"], "id": ["x", "y"]}).save_to_disk(str(tmp_path / "ds"))
    art, _ = _ingest(store, tmp_path / "ds")
    assert sorted(_docs(store, art)) == ["ds#x", "ds#y"]


def test_four_megabytes_under_fifteen_seconds(store, tmp_path):
    para = "It was a bright cold day in April, and the clocks were striking thirteen somewhere far away.\n"
    for i in range(40):
        (tmp_path / f"book{i}.txt").write_text(f"Book {i}\n" + para * 1100)
    start = time.perf_counter()
    art, _ = _ingest(store, tmp_path)
    elapsed = time.perf_counter() - start
    assert art.stats["chars"] > 4_000_000
    assert elapsed < 15, elapsed


def test_input_field_names_the_text_column(store, tmp_path):
    """`[ingest] input_field = "body"` reads .jsonl and Parquet rows whose text is not under `text`."""
    d = tmp_path / "in"
    d.mkdir()
    (d / "rows.jsonl").write_text(json.dumps({"id": "a", "body": "Body of a."}) + "\n"
                                  + json.dumps({"id": "b", "text": "only text"}) + "\n")
    pq.write_table(pa.table({"body": ["Body of p."], "title": ["P"]}), d / "p.parquet")
    art, _ = _ingest(store, d, input_field="body")
    docs = _docs(store, art)
    assert {k: v["text"] for k, v in docs.items()} == {"rows#a": "Body of a.", "p#0": "Body of p."}
    assert _rejected(store, art) == {"rows.jsonl#b": "no string field 'body'"}
    default, _ = _ingest(store, d)  # the default field: the same files give other documents and another version
    assert set(_docs(store, default)) == {"rows#b"} and default.version != art.version
    assert "set [ingest] input_field" in _rejected(store, default)["rows.jsonl#a"]


def test_default_input_field_keeps_the_version_key(store, tmp_path):
    """Versions built before input_field existed stay valid: the default does not enter the version."""
    from corpus_tools.ingest import STAGE, fingerprint
    from corpus_tools.inputs import resolve_sources
    from corpus_tools.store import artifact_version

    (tmp_path / "a.txt").write_text("alpha")
    art, _ = _ingest(store, tmp_path / "a.txt")
    files = fingerprint(resolve_sources([str(tmp_path / "a.txt")]))
    old_key = {"max_line_chars": 100_000, "min_chars": 1, "files": files}  # the key's fields before input_field
    assert art.version == artifact_version("ingest", old_key, {}, STAGE.code_version)
