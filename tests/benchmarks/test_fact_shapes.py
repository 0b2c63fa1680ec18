"""benchmarks/fact_shapes.py: which items complete a person's name, and the answers by split and shape."""

import json

import pytest

from benchmarks.fact_shapes import answered_by_shape, counts, item_shapes, shape_of


@pytest.mark.parametrize("prompt, answer, shape", [
    ("The hero of the novels is Harry", "Potter", "name"),        # a given name
    ("The author of the books is J.K.", "Rowling", "name"),       # initials
    ("The British author is J. K.", "Rowling", "name"),           # initials with a space
    ("The dark wizard is Lord", "Voldemort", "name"),             # an honorific
    ("The wizards' street is called Diagon", "Alley", "other"),   # a place, not a person
    ("The sixth book is Harry Potter and the Half-Blood", "Prince", "other"),
    ("On his birthday he learns he is a", "wizard", "other"),     # not capitalised either side
    ("The boy who lived is Harry", "wand", "other"),              # the answer does not continue a name
    ("", "Potter", "other"),
])
def test_shape_of_hand_worked(prompt, answer, shape):
    assert shape_of(prompt, answer) == shape


def test_item_shapes_reads_only_known_items_and_counts_by_split(tmp_path):
    rows = [("The hero is Harry", "Potter", "test", True), ("The street is Diagon", "Alley", "dev", True),
            ("The author is J.K.", "Rowling", "test", False), ("The pet owl is", "Hedwig", "test", True)]
    path = tmp_path / "known_facts.jsonl"
    path.write_text("".join(json.dumps({"prompt": p, "answers": [a], "topic": "t", "split": s, "known_by_base": k})
                            + "\n" for p, a, s, k in rows))
    shapes = item_shapes(path)
    assert [(s, sh) for s, sh, _ in shapes] == [("test", "name"), ("dev", "other"), ("test", "other")]
    assert counts(shapes) == {("test", "name"): 1, ("dev", "other"): 1, ("test", "other"): 1}


class _Store:
    """The one query answered_by_shape runs, over rows given by hand."""

    def __init__(self, rows):
        self.rows = rows

    def query(self, sql, params):
        evaluate, model, metric = params
        return [(i, v) for e, m, mt, i, v in self.rows if (e, m, mt) == (evaluate, model, metric)]


def test_answered_by_shape_pairs_each_item_with_its_score():
    shapes = [("test", "name", "The hero is Harry"), ("test", "name", "The author is J.K."),
              ("test", "other", "The pet owl is"), ("dev", "other", "Not scored here")]
    store = _Store([("ev", "m", "known_facts_answered", "known_facts: The hero is Harry", 1.0),
                    ("ev", "m", "known_facts_answered", "known_facts: The author is J.K.", 0.0),
                    ("ev", "m", "known_facts_answered", "known_facts: The pet owl is", 1.0),
                    ("ev", "other", "known_facts_answered", "known_facts: The author is J.K.", 1.0)])
    assert answered_by_shape(store, "ev", "m", "known_facts", shapes) == {("test", "name"): (1, 2),
                                                                         ("test", "other"): (1, 1)}
