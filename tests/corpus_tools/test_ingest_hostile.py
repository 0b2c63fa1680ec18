"""ingest against hostile and careless inputs: cycles, special files, unreadable files, bad encodings, odd names."""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import signal
import socket
import tempfile

import pyarrow as pa
import pyarrow.parquet as pq

from corpus_tools.ingest import IngestSettings, ingest


@contextlib.contextmanager
def _deadline(seconds=30):
    """Fail instead of hanging: the old code never returned on these inputs."""
    def expired(*_):
        raise TimeoutError(f"ingest did not return within {seconds} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _ingest(store, *sources, **kw):
    with _deadline():
        return ingest(store, "t", IngestSettings(sources=[str(s) for s in sources], **kw))[0]


def _docs(store, art):
    return {r["doc_id"]: r for r in store.read("documents", art).to_pylist()}


def _rejected(store, art):
    return {r["source"]: r["reason"] for r in store.read("rejected_inputs", art).to_pylist()}


def test_symlink_cycles_end_and_each_file_is_read_once(store, tmp_path):
    d = tmp_path / "in"
    (d / "a" / "b").mkdir(parents=True)
    (d / "a" / "b" / "story.txt").write_text("the only story")
    (d / "top.txt").write_text("top text")
    (d / "a" / "b" / "up").symlink_to("../..")     # cycle one
    (d / "a" / "loop").symlink_to("..")            # cycle two
    (d / "alias.txt").symlink_to("top.txt")        # a second name for one real file
    art = _ingest(store, d)
    assert sorted(_docs(store, art)) == ["a/b/story", "top"]
    assert _rejected(store, art) == {}  # no "exact duplicate" rows: the same file was never read twice
    art = _ingest(store, d / "**" / "*.txt")
    assert sorted(d["text"] for d in _docs(store, art).values()) == ["the only story", "top text"]


def test_special_files_are_rejected_without_being_opened(store, tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "ok.txt").write_text("fine")
    os.mkfifo(d / "pipe.txt")  # opening it for reading would block until a writer comes
    sock = socket.socket(socket.AF_UNIX)
    if len(str(d / "sock.txt")) < 100:
        sock.bind(str(d / "sock.txt"))
    else:  # a socket path must be short (108 bytes); a link to one is the same file for ingest
        short = tempfile.mkdtemp(prefix="s", dir="/tmp")
        sock.bind(f"{short}/s")
        (d / "sock.txt").symlink_to(f"{short}/s")
    (d / "null.txt").symlink_to("/dev/null")
    try:
        art = _ingest(store, d)
    finally:
        sock.close()
    assert list(_docs(store, art)) == ["ok"]
    assert _rejected(store, art) == {"pipe.txt": "not a regular file (a FIFO)", "sock.txt": "not a regular file (a socket)",
                                     "null.txt": "not a regular file (a character device)"}


def test_unreadable_file_is_a_rejected_row(store, tmp_path, monkeypatch):
    (tmp_path / "ok.txt").write_text("fine")
    locked = tmp_path / "locked.txt"
    locked.write_text("secret")
    locked.chmod(0)
    real_open = os.open

    def no_access(path, *args, **kwargs):  # root ignores file modes, so refuse the way the kernel would
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", no_access)
    art = _ingest(store, tmp_path)
    assert list(_docs(store, art)) == ["ok"]
    assert _rejected(store, art) == {"locked.txt": "unreadable: Permission denied"}


def test_nul_anywhere_is_a_rejection(store, tmp_path):
    (tmp_path / "ok.txt").write_text("fine")
    (tmp_path / "middle.txt").write_bytes(b"x" * 70_000 + b"\x00" + b"y" * 70_000)
    (tmp_path / "rows.jsonl").write_text(json.dumps({"id": "n", "text": "a\u0000b"}) + "\n")
    art = _ingest(store, tmp_path)
    assert list(_docs(store, art)) == ["ok"]
    rejected = _rejected(store, art)
    assert rejected["middle.txt"] == "binary file (NUL byte at offset 70000; UTF-16/32 text needs a byte-order mark)"
    assert rejected["rows.jsonl#n"] == "NUL character at character 1: binary data, not prose"


def test_encodings(store, tmp_path):
    text = "Déjà vu: “quoted” — naïve café"
    for name, codec in [("u16le", "utf-16-le"), ("u16be", "utf-16-be"), ("u32le", "utf-32-le")]:
        bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE, "utf-32-le": codecs.BOM_UTF32_LE}[codec]
        (tmp_path / f"{name}.txt").write_bytes(bom + f"{text} ({name})".encode(codec))
    (tmp_path / "nobom.txt").write_bytes("plain".encode("utf-16-le"))
    (tmp_path / "latin.txt").write_bytes("Le café était brûlé, à côté de l'église.".encode("cp1252"))
    (tmp_path / "russian.txt").write_bytes("Привет, мир. Это текст в другой кодировке.".encode("cp1251"))
    damaged = "Résumé of the naïve café’s menu".encode("utf-8")
    (tmp_path / "damaged.txt").write_bytes(damaged.replace("é".encode(), b"\xc3", 1))
    art = _ingest(store, tmp_path)
    docs = _docs(store, art)
    assert {k: (d["text"], d["encoding"]) for k, d in docs.items() if k.startswith("u")} == {
        "u16le": (f"{text} (u16le)", "utf-16"), "u16be": (f"{text} (u16be)", "utf-16"), "u32le": (f"{text} (u32le)", "utf-32")}
    assert docs["latin"]["text"] == "Le café était brûlé, à côté de l'église." and docs["latin"]["encoding"] == "cp1252"
    rejected = _rejected(store, art)
    assert set(rejected) == {"nobom.txt", "russian.txt", "damaged.txt"}
    assert "UTF-16/32 text needs a byte-order mark" in rejected["nobom.txt"]
    assert rejected["russian.txt"] == ("not UTF-8 (invalid continuation byte at byte 0) and not Latin-1 text (6 of 7 accented "
                                       "words have no ASCII letter: another encoding; convert it to UTF-8)")
    assert rejected["damaged.txt"].startswith("not UTF-8 (invalid continuation byte at byte 1): damaged UTF-8")


def test_literal_names_with_glob_characters(store, tmp_path):
    (tmp_path / "chapter[1].txt").write_text("chapter one")
    (tmp_path / "chapter1.txt").write_text("not this one")
    art = _ingest(store, tmp_path / "chapter[1].txt")
    assert [d["text"] for d in _docs(store, art).values()] == ["chapter one"]
    (tmp_path / ".chapter2.txt").write_text("hidden")
    art = _ingest(store, tmp_path / "chapter?.txt")  # a pattern that names no file literally is still a glob
    assert [d["text"] for d in _docs(store, art).values()] == ["not this one"]
    art = _ingest(store, tmp_path / "*chapter*.txt")  # hidden files stay out of globs, as out of folder walks
    assert sorted(d["text"] for d in _docs(store, art).values()) == ["chapter one", "not this one"]


def test_line_rule_holds_for_every_format(store, tmp_path):
    import datasets

    long_line, ok = "word " * 40_000, "a short line"
    (tmp_path / "long.txt").write_text(long_line)
    (tmp_path / "rows.jsonl").write_text("\n".join(json.dumps({"id": i, "text": t}) for i, t in [("j1", ok + "!"), ("j2", long_line)]))
    pq.write_table(pa.table({"id": ["p1", "p2"], "text": [ok + "?", long_line]}), tmp_path / "table.parquet")
    datasets.Dataset.from_dict({"id": ["d1", "d2"], "text": [ok + ".", long_line]}).save_to_disk(str(tmp_path / "ds"))
    art = _ingest(store, tmp_path)
    assert sorted(_docs(store, art)) == ["ds#d1", "rows#j1", "table#p1"]
    reason = "a line of 200000 characters (max_line_chars=100000): not prose"
    assert _rejected(store, art) == {"long.txt": reason, "rows.jsonl#j2": reason, "table.parquet#p2": reason,
                                     "ds#d2": reason}


LATIN1_PROSE = {
    "french": "Le garçon a mangé une crème brûlée près de la fenêtre, où il faisait très chaud.",
    "german": "Die Straße war nass, und die Mädchen liefen über die Brücke zum Bäcker.",
    "spanish": "El niño leyó un libro pequeño en la estación; ¿quién lo llevó allí?",
    "icelandic": "Þórður fór út að ganga með hundinn sinn í góðu veðri.",
    "quotes": "He said “hello” — and then… nothing at all.",
}
OTHER_ENCODINGS = [
    ("Η γρήγορη καφέ αλεπού πηδά πάνω από τον τεμπέλη σκύλο.", "cp1253"),
    ("Быстрая коричневая лиса прыгает через ленивую собаку.", "koi8_r"),
    ("敏捷的棕色狐狸跳过了懒狗。这是一个测试句子。", "gbk"),
]


def test_latin1_prose_is_accepted_and_other_encodings_rejected():
    from corpus_tools.inputs import Rejected, decode

    for text in LATIN1_PROSE.values():
        assert decode(text.encode("cp1252")) == (text, "cp1252")
    for text, codec in OTHER_ENCODINGS:
        try:
            decoded = decode(text.encode(codec))
        except Rejected as exc:
            assert str(exc).startswith("not UTF-8"), (codec, str(exc))
        else:
            raise AssertionError(f"{codec} text accepted as {decoded[1]}: {decoded[0]!r}")
