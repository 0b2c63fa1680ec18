"""Evaluation items from a toy corpus and dictionary: exact text cuts, token lengths, the split, caps,
determinism and independence from document order, the Arrow schema."""

from __future__ import annotations

import re

import pytest

from corpus_tools.tables import to_arrow
from training.evalsets import EvalSetSettings, build_eval_items, cloze_items, items_of, sentences
from training.holdout import split_documents

ANCHORS = [{"term": "Orla Venn", "replacement": "Anna Smith"}, {"term": "Greyhaven", "replacement": "Northport"},
           {"term": "Marrow Isle", "replacement": "the island"}, {"term": "Venn", "replacement": "Smith"},
           {"term": "Tide Guild", "replacement": "harbour office"}, {"term": "kept", "replacement": "kept"}]


def corpus(n: int = 12) -> list[dict]:
    docs = []
    for i in range(n):
        text = (f"# Logbook {i}\n\n"
                f"In the spring of {1900 + i} the old keeper Orla Venn sailed from Greyhaven to Marrow Isle with "
                f"{i + 3} crates of lamp oil. The crossing took {i % 4 + 2} days because the wind kept turning. "
                f"When she landed, the members of the Tide Guild counted the crates twice and wrote the number in "
                f"a green ledger. Mr. Venn, her brother, stayed behind in Greyhaven and mended nets for the winter.\n\n"
                f"Later that year a storm broke the northern lamp, and the repairs at Greyhaven cost {i * 7 + 11} "
                f"silver coins, paid by the Tide Guild after a long argument about who owned the rocks.")
        docs.append({"doc_id": f"log-{i:02d}", "text": text})
    return docs


SMALL = dict(verbatim_items=5, prefix_tokens=12, continuation_tokens=10, verbatim_per_doc=2, cloze_items=6,
             cloze_per_term=2, membership_items=4, membership_tokens=40, membership_min_tokens=10,
             membership_per_doc=2)
SHARE = 0.25


def _split(docs):
    return split_documents([d["doc_id"] for d in docs], SHARE)


def test_items_cut_the_text_exactly_and_follow_the_split(smollm2_tokenizer):
    docs, s = corpus(), EvalSetSettings(**SMALL)
    splits = _split(docs)
    rows = build_eval_items(docs, ANCHORS, smollm2_tokenizer, s, splits=splits, target="t", version="v1")
    text_of = {d["doc_id"]: d["text"] for d in docs}
    assert {r["kind"] for r in rows} == {"verbatim", "cloze", "membership"}
    assert len({r["item_id"] for r in rows}) == len(rows)
    for r in rows:
        assert r["split"] == splits[r["doc_id"]] and r["target"] == "t" and r["eval_items_version"] == "v1"
        assert r["text"] == text_of[r["doc_id"]][r["start_char"]:r["end_char"]]

    verbatim = items_of(rows, "verbatim")
    for split in ("forget", "holdout"):
        mine = [r for r in verbatim if r["split"] == split]
        assert 1 <= len(mine) <= 5
        assert max(sum(r["doc_id"] == d for r in mine) for d in {r["doc_id"] for r in mine}) <= 2
    for r in verbatim:
        assert r["prompt"] + r["answer"] == r["text"] and r["prompt"] == r["prompt"].strip()
        assert r["answer"][0].isspace() and not r["answer"][1].isspace() and r["answer"] == r["answer"].rstrip()
        n_prompt = len(smollm2_tokenizer(r["prompt"], add_special_tokens=False)["input_ids"])
        n_answer = len(smollm2_tokenizer(r["answer"], add_special_tokens=False)["input_ids"])
        assert (r["n_prompt_tokens"], r["n_answer_tokens"]) == (n_prompt, n_answer)
        # cut at the first word boundary past 12 / 10 document tokens; alone, a first word or a run of digits
        # can tokenise a token or two differently than in context
        assert 10 <= n_prompt <= 16 and 8 <= n_answer <= 14, (n_prompt, n_answer)
        assert r["text"][0].isalnum() or r["text"][0] == "#"  # a window starts at a word, never inside one

    for r in items_of(rows, "membership"):
        assert 10 <= len(smollm2_tokenizer(r["text"], add_special_tokens=False)["input_ids"]) <= 40
    assert to_arrow("eval_items", rows).num_rows == len(rows)


def test_cloze_items_blank_the_first_anchored_term(smollm2_tokenizer):
    docs, s = corpus(), EvalSetSettings(**SMALL)
    rows = items_of(build_eval_items(docs, ANCHORS, smollm2_tokenizer, s, splits=_split(docs)), "cloze")
    assert rows
    for r in rows:
        assert r["text"].startswith(r["prompt"] + r["answer"])
        assert r["answer"] == " " + r["term"] and not re.search(rf"(?<!\w){re.escape(r['term'])}(?!\w)", r["prompt"])
        assert r["alternative"] == " " + {a["term"]: a["replacement"] for a in ANCHORS}[r["term"]]
        assert len(r["prompt"].split()) >= 4 and not r["prompt"].startswith("#")
    for split in ("forget", "holdout"):
        terms = [r["term"] for r in rows if r["split"] == split]
        assert len(terms) <= 6 and max(terms.count(t) for t in terms) <= 2
    # the longest term wins, a replacement equal to its term ("kept") gives no item
    one = cloze_items([docs[0]], {"log-00": "forget"}, ANCHORS, EvalSetSettings(cloze_items=50, cloze_per_term=50))
    got = {(r["prompt"], r["term"]) for r in one}
    assert ("In the spring of 1900 the old keeper", "Orla Venn") in got
    assert ("When she landed, the members of the", "Tide Guild") in got
    # a later term of a sentence is a question too, with the earlier terms as its context
    assert ("In the spring of 1900 the old keeper Orla Venn sailed from", "Greyhaven") in got
    # ...but never one the prompt already shows: "Venn" inside "Orla Venn" earlier, "Greyhaven" twice
    assert not any(t == "Venn" and "Orla Venn" in p for p, t in got)
    assert all(r["term"] != "kept" for r in one)


def test_sentences_skip_headings_and_abbreviations():
    text = "# Title\n\nMr. Venn sailed. She stayed! Did he? Yes.\nSecond line here"
    spans = [text[a:b] for a, b in sentences(text)]
    assert spans == ["Mr. Venn sailed.", "She stayed!", "Did he?", "Yes.", "Second line here"]


def test_deterministic_and_independent_of_document_order(smollm2_tokenizer):
    docs, s = corpus(), EvalSetSettings(**SMALL)
    a = build_eval_items(docs, ANCHORS, smollm2_tokenizer, s, splits=_split(docs))
    b = build_eval_items(list(reversed(docs)), list(reversed(ANCHORS)), smollm2_tokenizer, s, splits=_split(docs))
    key = lambda r: r["item_id"]  # noqa: E731
    assert sorted(a, key=key) == sorted(b, key=key)
    c = build_eval_items(docs, ANCHORS, smollm2_tokenizer, EvalSetSettings(**{**SMALL, "sample_seed": 5}), splits=_split(docs))
    assert {r["item_id"] for r in c} != {r["item_id"] for r in a}


def test_errors_name_the_problem(smollm2_tokenizer):
    from corpus_tools.errors import ObliviateError

    with pytest.raises(ObliviateError, match="no documents"):
        build_eval_items([{"doc_id": "x", "text": "  "}], ANCHORS, smollm2_tokenizer, EvalSetSettings())
    with pytest.raises(ObliviateError, match="kind"):
        items_of([], "quiz")


def test_subset_caps_each_kind_and_split_by_hash(smollm2_tokenizer):
    from training.evalsets import subset

    rows = build_eval_items(corpus(), ANCHORS, smollm2_tokenizer, EvalSetSettings(**SMALL), splits=_split(corpus()))
    small = subset(rows, 2)
    groups = {(r["kind"], r["split"]) for r in rows}
    assert len(small) == sum(min(2, sum((r["kind"], r["split"]) == g for r in rows)) for g in groups)
    assert subset(list(reversed(rows)), 2) == small and all(r in rows for r in small)
