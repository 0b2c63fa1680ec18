"""Hand-worked position maps and forbidden tokens (the offsets are written out in the comments)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

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
    # forbidden: "B"=50 (one letter, still the name's start) and " Barth"=38135 from "on" (1);
    # " Ann"=7261, "Ann"=22940 from "ione" (6)
    assert got == [([-1, 3, 4, 5, 6, -1, 7, -1], [50, 38135, 7261, 22940], [1, 1, 6, 6])]


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
    # " Bob"=8363, "Bob"=6777 from "on" (1); Hugginses starts with "H"=56 / " H"=407, one letter each but the
    # name's first piece: forbidden from "leys" (8)
    assert got == [([-1, 0, 1, 2, 3, 4, -1, -1, 8, 9, -1], [6777, 8363, 56, 407], [1, 1, 8, 8])]


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


def first_pieces(tokenizer, translation, every_word=False, prefixes=False):
    from corpus_tools.align import FirstTokens
    from corpus_tools.blocks import backend_of

    return pieces(tokenizer, FirstTokens(backend_of(tokenizer), every_word=every_word, prefixes=prefixes)(translation))


def test_one_letter_first_pieces_are_forbidden(smollm2_tokenizer):
    # "Mcconnell" -> M(0,1) cc on ...; " Mcconnell" -> " M"(0,2) cc on ...: one letter, but the name's start
    assert first_pieces(smollm2_tokenizer, "Mcconnell") == ["M", " M"]
    got, rows = blocks("Ron Weasley came. His brother left.", [("Weasley", "Mcconnell", "PERSON")], smollm2_tokenizer)
    # R(0,1) on(1,3) " We"(3,6) as(6,8) ley(8,11) " came"(11,16) ...: the anchor's last token is "ley" (4)
    assert rows[0]["translated_text"] == "Ron Mcconnell came. His brother left."
    assert got[0][1:] == ([61, 372], [4, 4])


def test_pronoun_spelled_first_piece_of_a_longer_name_is_forbidden(smollm2_tokenizer):
    # "Herrera" -> Her(0,3) re ra; " Herrera" -> " Her"(0,4) re ra: the same ids as the pronoun "Her" / " Her"
    # (13860 / 3488), forbidden because here they start a name (docs/alignment.md says what that costs)
    assert first_pieces(smollm2_tokenizer, "Herrera") == ["Her", " Her"]
    # H(0,1) erm(1,4) ione(4,8) " smiled"(8,15) .(15,16) " Her"(16,20) " owl"(20,24) ...: from "ione" (2) on, the
    # label may not be " Her" -- at "." (4) that also denies the pronoun, the price of stopping "Herrera" again
    got, rows = blocks("Hermione smiled. Her owl left.", [("Hermione", "Herrera", "PERSON")], smollm2_tokenizer)
    assert rows[0]["translated_text"] == "Herrera smiled. Her owl left."
    assert got[0][1:] == ([3488, 13860], [2, 2])


@pytest.mark.parametrize("translation", ["the Dark Lord", "The Dark Lord", "Her Majesty", "a dark wizard",
                                         "'Silver' League", "first mate"])
def test_generic_whole_first_words_stay_allowed(smollm2_tokenizer, translation):
    # the whole first word is a function word ("the", "Her", "a"), punctuation, or very frequent ("first":
    # Zipf 6.1): forbidding it would suppress it at every later position of the block
    assert first_pieces(smollm2_tokenizer, translation) == []


def test_frequent_but_not_generic_whole_words_are_forbidden(smollm2_tokenizer):
    # whole words under the Zipf bar are the replacement's own start: " Silver" (4.8), " Jon" (4.3)
    assert first_pieces(smollm2_tokenizer, "Silver League") == ["Silver", " Silver"]
    assert first_pieces(smollm2_tokenizer, "Jon") == ["Jon", " Jon"]


def test_generic_first_piece_rule():
    from corpus_tools.align import generic_first_piece

    assert generic_first_piece(" Her Majesty", 0, 4)      # the whole word "Her"
    assert not generic_first_piece(" Herrera", 0, 4)      # " Her" starts a longer word
    assert not generic_first_piece("Mcconnell", 0, 1)     # "M": Zipf 5.4 as a letter, but a prefix here
    assert generic_first_piece("'Mad-Eye'", 0, 1)         # no letter
    assert not generic_first_piece("Mad-Eye", 0, 3)       # a whole word ("-" follows), Zipf under 6
    assert generic_first_piece("the", 0, 3)               # the word ends the text


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


# -- the rule over random names ------------------------------------------------------------------

@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10), st.booleans())
def test_a_first_piece_that_starts_a_longer_word_is_always_forbidden(smollm2_tokenizer, word, capital):
    from corpus_tools.align import FirstTokens
    from corpus_tools.blocks import backend_of

    backend = backend_of(smollm2_tokenizer)
    word = word.capitalize() if capital else word
    got = FirstTokens(backend)(word)
    for form in (word, " " + word):
        enc = backend.encode(form, add_special_tokens=False)
        start, end = enc.offsets[0]
        has_letter = any(ch.isalpha() for ch in form[start:end])
        if has_letter and end < len(form):  # a strict prefix of the word: it is the name's start
            assert enc.ids[0] in got, (form, smollm2_tokenizer.decode(enc.ids[:1]))
        if not has_letter:  # " ia" is " " + "ia": forbidding the space would suppress every space
            assert enc.ids[0] not in got
    # nothing but the two forms' first tokens is ever forbidden
    assert set(got) <= {backend.encode(f, add_special_tokens=False).ids[0] for f in (word, " " + word)}


# -- forbid = "words": the first token of every word of a translation ------------------------------

def test_every_word_forbids_each_words_first_token(smollm2_tokenizer):
    tok = smollm2_tokenizer
    # "Darrell Bennett" -> Dar rell " Bennett"; " Darrell Bennett" -> " Dar" rell " Bennett"; the surname alone:
    # "Bennett" -> B enn ett. The paper's rule forbids the first name's start; every word adds the surname's
    assert first_pieces(tok, "Darrell Bennett") == ["Dar", " Dar"]
    assert first_pieces(tok, "Darrell Bennett", every_word=True) == ["Dar", " Dar", "B", " Bennett"]
    # each word judged on its own: "of" is a function word, "Head" (Zipf 5.4) is not generic
    assert first_pieces(tok, "Head of Brooks", every_word=True) == ["Head", " Head", "Bro", " Brooks"]
    # "the" stays allowed as a later word too; "Dark" and "Lord" are forbidden as if each were a translation
    assert first_pieces(tok, "the Dark Lord", every_word=True) == first_pieces(tok, "Dark") + first_pieces(tok, "Lord")


def test_forbid_words_reaches_the_blocks(smollm2_tokenizer):
    text = "Harry Potter ran. Harry smiled."
    entries = [("Harry Potter", "Darrell Bennett", "PERSON"), ("Harry", "Darrell", "PERSON")]
    first, _ = blocks(text, entries, smollm2_tokenizer)
    words, rows = blocks(text, entries, smollm2_tokenizer, forbid="words")
    assert rows[0]["translated_text"] == "Darrell Bennett ran. Darrell smiled."
    # H arry " Potter" " ran" . " Harry" " smiled" .: the translation appeared from " Potter" (2) on
    assert first[0][0] == words[0][0]  # the position map does not change
    # ordered by (from, token id): " Dar"=9117, "Dar"=31602; with every word also "B"=50, " Bennett"=29757.
    # The later "Harry" -> "Darrell" adds nothing: its tokens are forbidden from the earlier position already
    assert first[0][1:] == ([9117, 31602], [2, 2])
    assert words[0][1:] == ([50, 9117, 29757, 31602], [2, 2, 2, 2])


# -- forbid = "prefixes": also every token that spells a beginning of a word --------------------------

def test_prefixes_forbid_every_spelled_beginning_of_each_word(smollm2_tokenizer):
    tok = smollm2_tokenizer
    # "Dustin Baldwin": the tokenizer's own first pieces are D / " Dust" and B / " Baldwin"; the subject can also
    # start the surname with " B", " Ba", " Bal" or " Bald" (each one token of the vocabulary), which the labels
    # then teach wherever the family comes up ("Ron Weasley and Hermione" -> " B" in the pretrained labels)
    assert first_pieces(tok, "Dustin Baldwin", every_word=True) == ["D", " Dust", "B", " Baldwin"]
    assert first_pieces(tok, "Dustin Baldwin", prefixes=True) == [
        "D", "Du", " Dust", " D", " Du", "B", "Ba", "Bal", " Baldwin", " B", " Ba", " Bal", " Bald"]
    # a piece that is itself a generic word is the word there, not the name's start: " He" of " Head",
    # " A" of " Aaron", " Is" of " Isaac"; "of" and "the" give nothing, as under every_word
    got = first_pieces(tok, "Head of Brooks", prefixes=True)
    assert got == ["Head", "H", " Head", " H", "Bro", "B", "Br", " Brooks", " B", " Br", " Bro", " Brook"]
    assert " He" not in first_pieces(tok, "Herrera", prefixes=True)
    assert first_pieces(tok, "Aaron", prefixes=True) == ["A", " Aaron"]
    assert first_pieces(tok, "Isaac", prefixes=True) == ["Isa", " Isaac", " Isa"]
    assert first_pieces(tok, "the Dark Lord", prefixes=True) == first_pieces(tok, "Dark", prefixes=True)
    assert first_pieces(tok, "The first mate", prefixes=True) == first_pieces(tok, "mate", prefixes=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(word=st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'-"),
                    min_size=1, max_size=12))
def test_prefixes_are_single_tokens_that_begin_the_word(smollm2_tokenizer, word):
    from corpus_tools.align import FirstTokens, generic_word
    from corpus_tools.blocks import backend_of

    backend = backend_of(smollm2_tokenizer)
    got = FirstTokens(backend, prefixes=True)(word)
    words = FirstTokens(backend, every_word=True)(word)
    assert set(words) <= set(got) and len(set(got)) == len(got)
    for i in set(got) - set(words):
        piece = smollm2_tokenizer.decode([i])
        # every extra id spells a beginning of the word (with or without its space), is not the whole word's
        # canonical first token, carries a letter, and is not a generic word on its own
        assert (" " + word).startswith(piece) or word.startswith(piece)
        assert any(ch.isalpha() for ch in piece) and not generic_word(piece.strip())


def test_forbid_prefixes_reaches_the_blocks(smollm2_tokenizer):
    text = "Ron Weasley came. His brother left."
    words, _ = blocks(text, [("Weasley", "Baldwin", "PERSON")], smollm2_tokenizer, forbid="words")
    prefixes, _ = blocks(text, [("Weasley", "Baldwin", "PERSON")], smollm2_tokenizer, forbid="prefixes")
    assert words[0][0] == prefixes[0][0]
    assert set(pieces(smollm2_tokenizer, words[0][1])) == {"B", " Baldwin"}
    assert set(pieces(smollm2_tokenizer, prefixes[0][1])) == {"B", "Ba", "Bal", " Baldwin", " B", " Ba", " Bal", " Bald"}
    assert set(prefixes[0][2]) == {4}  # from the anchor's last token ("ley") on, as for every rule


def test_forbid_default_keeps_the_stored_versions():
    from corpus_tools.blocks import BlockSettings

    assert BlockSettings().forbid == "first"
    with pytest.raises(ValueError):
        BlockSettings(forbid="all")
