"""Hand-worked position maps and forbidden tokens (the offsets are written out in the comments)."""

from __future__ import annotations

import pytest

from corpus_tools.blocks import BlockSettings, text_blocks
from corpus_tools.translate import Matcher


def blocks(text, entries, tokenizer, size=64, **kw):
    rows = text_blocks(text, Matcher(entries), tokenizer, BlockSettings(block_size=size, min_block_tokens=2, **kw))
    return [(r["position_map"].tolist(), r["forbidden_tokens"], r["forbidden_from"]) for r in rows], rows


def pieces(tokenizer, ids):
    return [tokenizer.decode([int(i)]) for i in ids]


# -- SmolLM2 (byte-level BPE) -----------------------------------------------------------------

def test_translation_with_more_and_fewer_tokens(smollm2_tokenizer):
    # R(0,1) on(1,3) " w"(3,5) aved(5,9) " at"(9,12) " Herm"(12,17) ione(17,21) .(21,22)
    # Ron->Bartholomew (+8 chars), Hermione->Ann (-5 chars); translated:
    # B(0,1) arth(1,5) olome(5,10) w(10,11) " w"(11,13) aved(13,17) " at"(17,20) " Ann"(20,24) .(24,25)
    got, rows = blocks("Ron waved at Hermione.", [("Ron", "Bartholomew", "PERSON"), ("Hermione", "Ann", "PERSON")],
                       smollm2_tokenizer)
    assert pieces(smollm2_tokenizer, rows[0]["translated_ids"]) == ["B", "arth", "olome", "w", " w", "aved", " at", " Ann", "."]
    # "on" ends at 3 -> T=11 -> "w" (3); "ione" ends at 21 -> T=24 -> " Ann" (7)
    # forbidden: "B" is one character (skipped); " Barth"=38135 from "on" (1); " Ann"=7261, "Ann"=22940 from "ione" (6)
    assert got == [([-1, 3, 4, 5, 6, -1, 7, -1], [38135, 7261, 22940], [1, 6, 6])]


def test_repeated_anchor_in_one_block(smollm2_tokenizer):
    # H(0,1) arry(1,5) " saw"(5,9) " Harry"(9,15) " there"(15,21) .(21,22)
    # Jon(0,3) " saw"(3,7) " Jon"(7,11) " there"(11,17) .(17,18)
    # " saw" (2) predicts the second Harry: no loss. Forbidden " Jon"=12711, "Jon"=38976 from "arry" (1).
    got, _ = blocks("Harry saw Harry there.", [("Harry", "Jon", "PERSON")], smollm2_tokenizer)
    assert got == [([-1, 0, -1, 2, 3, -1], [12711, 38976], [1, 1])]


def test_possessive_and_plural_family_name(smollm2_tokenizer):
    # R on 's " owl" " and" " the" " We" as leys " left" .  ->  Bob 's " owl" " and" " the" " H" ugg ins es " left" .
    # "Weasleys" [18,26) -> "Hugginses" (+1); leys ends at 26 -> T=27 -> "es" (8)
    got, rows = blocks("Ron's owl and the Weasleys left.", [("Ron", "Bob", "PERSON"), ("Weasley", "Huggins", "PERSON")],
                       smollm2_tokenizer)
    assert rows[0]["translated_text"] == "Bob's owl and the Hugginses left."
    # Hugginses starts with "H" / " H" (one character): never forbidden. " Bob"=8363, "Bob"=6777.
    assert got == [([-1, 0, 1, 2, 3, 4, -1, -1, 8, 9, -1], [6777, 8363], [1, 1])]


def test_anchors_at_block_start_end_and_straddling(smollm2_tokenizer):
    text = "Harry saw Hermione there. Hermione left."
    # H(0,1) arry(1,5) " saw"(5,9) " Herm"(9,14) ione(14,18) " there"(18,24) .(24,25) " Herm"(25,30) ione(30,34) " left"(34,39) .(39,40)
    entries = [("Harry", "Jon", "PERSON"), ("Hermione", "Ann", "PERSON")]
    got, rows = blocks(text, entries, smollm2_tokenizer, size=4)
    # block 0 [0,14): Hermione [10,18) straddles its end -> window [0,10) "Harry saw " -> "Jon saw "
    # block 1 [14,30): starts inside Hermione, ends inside the second one -> window [18,26) " there. "
    # block 2 [30,40): starts inside the second Hermione -> window [34,40) " left."
    assert [r["translated_text"] for r in rows] == ["Jon saw ", " there. ", " left."]
    assert got == [([-1, 0, 1, -1], [12711, 38976], [1, 1]),
                   ([-1, 0, 1, -1], [], []),
                   ([-1, 0, -1], [], [])]
    # block 0 of size 5 starts with Harry and ends exactly at the end of Hermione (both wholly inside)
    got, rows = blocks(text, entries, smollm2_tokenizer, size=5)
    assert rows[0]["translated_text"] == "Jon saw Ann"
    assert got[0] == ([-1, 0, 1, -1, -1], [12711, 38976, 7261, 22940], [1, 1, 4, 4])
    # block 1: " there"(18,24) .(24,25) " Herm"(25,30) ione(30,34) " left"(34,39), Hermione wholly inside
    # -> " there"(0,6) .(6,7) " Ann"(7,11) " left"(11,16); ione ends at 34 -> T=11 -> " Ann" (2)
    assert rows[1]["translated_text"] == " there. Ann left"
    assert got[1] == ([0, 1, -1, 2, -1], [7261, 22940], [3, 3])
    assert len(rows) == 2  # the last block (".") is shorter than min_block_tokens


def test_forbidden_skips_function_words(smollm2_tokenizer):
    # "the Dark Lord" starts with "the" / " the": forbidding it would suppress " the" everywhere
    got, _ = blocks("Voldemort laughed. Voldemort left.", [("Voldemort", "the Dark Lord", "PERSON")], smollm2_tokenizer)
    assert got[0][1] == []


def test_forbidden_keeps_the_earliest_position(smollm2_tokenizer):
    # Harry and Harry Potter both translate to a text starting with "Jon": one entry each, from Harry's end
    got, rows = blocks("Harry ran. Harry Potter ran.", [("Harry", "Jon", "PERSON"), ("Harry Potter", "Jon Smith", "PERSON")],
                       smollm2_tokenizer)
    assert rows[0]["translated_text"] == "Jon ran. Jon Smith ran."
    assert got[0][1:] == ([12711, 38976], [1, 1])


# -- WordPiece with a hand-written vocabulary (lower-cased, whitespace dropped) ---------------

@pytest.fixture(scope="module")
def wordpiece():
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = ["[UNK]", "harry", "saw", "her", "##mione", "there", ".", "jon", "ann", "bart", "##holo", "##mew",
             "ron", "waved", "at"]
    tok = Tokenizer(models.WordPiece({w: i for i, w in enumerate(vocab)}, unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]")


def test_wordpiece_more_and_fewer_tokens(wordpiece):
    # ron(0,3) waved(4,9) at(10,12) her(13,16) ##mione(16,21) .(21,22)
    # bart(0,4) ##holo(4,8) ##mew(8,11) waved(12,17) at(18,20) ann(21,24) .(24,25)
    got, rows = blocks("Ron waved at Hermione.", [("Ron", "Bartholomew", "PERSON"), ("Hermione", "Ann", "PERSON")], wordpiece)
    assert rows[0]["translated_ids"].tolist() == [9, 10, 11, 13, 14, 8, 6]
    # "ron" ends at 3 -> T=11 -> ##mew (2); forbidden bart (9) from 0, ann (8) from 4
    assert got == [([2, 3, 4, -1, 5, -1], [9, 8], [0, 4])]


def test_wordpiece_repeated_anchor(wordpiece):
    # harry(0,5) saw(6,9) harry(10,15) there(16,21) .(21,22) -> jon(0,3) saw(4,7) jon(8,11) there(12,17) .(17,18)
    got, _ = blocks("Harry saw Harry there.", [("Harry", "Jon", "PERSON")], wordpiece)
    assert got == [([0, -1, 2, 3, -1], [7], [0])]
