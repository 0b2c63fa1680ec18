"""`[unlearn] retain_corpus` as one folder or a list of folders: read in order, hashed by content, resolved
against the target file."""

from __future__ import annotations

import pytest

from corpus_tools.errors import ObliviateError
from pipelines.target import load_target
from training.retain import retain_data, retain_files, retain_fingerprint
from training.unlearn import UnlearnSettings, version_key


class WordTokenizer:
    """One id per word: enough to count what retain_data cuts."""

    def __call__(self, text, add_special_tokens=False):
        return {"input_ids": [len(w) + 10 for w in text.split()]}


@pytest.fixture
def folders(tmp_path):
    a, b = tmp_path / "fiction", tmp_path / "legends"
    a.mkdir(), b.mkdir()
    (a / "01_one.md").write_text("# One\n" + "the ship sailed north " * 5)       # 22 words
    (a / "02_two.txt").write_text("a quiet street in the town " * 3)             # 18 words
    (a / "notes.json").write_text("{}")                                           # not a text: skipped
    (b / "01_odin.md").write_text("# Odin\n" + "the god gave an eye for wisdom " * 4)  # 30 words
    return a, b


def test_a_list_reads_each_folder_in_the_order_given(folders):
    a, b = folders
    assert [f.name for f in retain_files([str(a), str(b)])] == ["01_one.md", "02_two.txt", "01_odin.md"]
    assert [f.name for f in retain_files([str(b), str(a)])] == ["01_odin.md", "01_one.md", "02_two.txt"]


def test_one_folder_alone_or_in_a_list_is_the_same_corpus_and_two_are_another(folders):
    a, b = folders
    assert retain_fingerprint(str(a)) == retain_fingerprint([str(a)])
    both = retain_fingerprint([str(a), str(b)])
    assert both not in {retain_fingerprint(str(a)), retain_fingerprint(str(b))}
    # the version follows the content, not the paths
    key = lambda corpus: version_key(UnlearnSettings(retain_term=True, retain_corpus=corpus))
    assert key(str(a)) == key([str(a)]) != key([str(a), str(b)])


def test_retain_blocks_come_from_every_folder(folders):
    a, b = folders
    width = 8
    alone = retain_data(str(a), WordTokenizer(), width)
    both = retain_data([str(a), str(b)], WordTokenizer(), width)
    # 22 words -> 3 blocks, 18 -> 3, 30 -> 4 (a last piece of one word is no block)
    assert alone.input_ids.shape[0] == 6 and both.input_ids.shape[0] == 10
    assert int(both.attention_mask.sum()) == 22 + 18 + 30


def test_an_empty_folder_or_list_is_one_clear_error(folders, tmp_path):
    a, _ = folders
    (tmp_path / "empty").mkdir()
    with pytest.raises(ObliviateError, match="empty: no .md or .txt files"):
        retain_files([str(a), str(tmp_path / "empty")])
    with pytest.raises(ObliviateError, match="list of folders is empty"):
        retain_files([])


def test_target_file_resolves_each_folder_against_itself(tmp_path):
    path = tmp_path / "t" / "target.toml"
    path.parent.mkdir()
    path.write_text('name = "t"\n[ingest]\nsources = ["corpus"]\n[unlearn]\nretain_corpus = ["../fiction", "legends"]\n')
    config = load_target(path)
    assert config.unlearn.retain_corpus == [str(tmp_path / "t" / "../fiction"), str(tmp_path / "t" / "legends")]
    one = load_target(path, ["unlearn.retain_corpus=legends"])
    assert one.unlearn.retain_corpus == str(tmp_path / "t" / "legends")
    repair = load_target(path, ["unlearn.repair_corpus=../names", "unlearn.repair_steps=20"])  # the same, for the repair
    assert repair.unlearn.repair_corpus == str(tmp_path / "t" / "../names")
    assert load_target(path, ['unlearn.repair_corpus=["a", "b"]']).unlearn.repair_corpus == \
        [str(tmp_path / "t" / "a"), str(tmp_path / "t" / "b")]

