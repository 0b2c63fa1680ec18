"""decide_v7 / names_v7: a lower-case word wordfreq has seen a little (Zipf 1-3) but no English dictionary
lists is invented; compounds of two dictionary words and inflections stay (hand-written sentences)."""

from __future__ import annotations

from anchors.build import AnchorSettings, make_dictionary
from anchors.heuristics import general_zipf_v1, unlisted_word
from anchors.lexicon import english_compound, english_word
from tests.anchors.test_dictionary import mention_rows

V6 = AnchorSettings(decision="decide_v6", names="names_v6")
V7 = AnchorSettings(decision="decide_v7", names="names_v7")
TEXT = ("The boggart hid under the trapdoor. A boggart knelt by the trapdoor. Two boggart cubs knelt and "
        "whined; every boggart fears salt. ") * 4


def test_the_lexicon_tells_words_from_unlisted_ones():
    assert 1.0 <= general_zipf_v1("boggart") < 3.0 and 1.0 <= general_zipf_v1("trapdoor") < 3.0
    assert not english_word("boggart") and not english_compound("boggart")
    assert english_compound("trapdoor") and english_word("knelt") and english_word("walking")
    assert unlisted_word("boggart", general_zipf_v1("boggart"))
    assert not unlisted_word("trapdoor", general_zipf_v1("trapdoor")) and not unlisted_word("knelt", 2.8)


def test_v7_anchors_an_unlisted_word_that_v6_left():
    cands, _ = make_dictionary(mention_rows(TEXT, {}), {"d": TEXT}, V7)
    assert cands["boggart"].accepted and "in no dictionary" in cands["boggart"].reason
    assert cands["boggart"].replacement and cands["boggart"].replacement.islower()
    assert not (cands.get("trapdoor") and cands["trapdoor"].accepted)
    assert not (cands.get("knelt") and cands["knelt"].accepted)
    v6, _ = make_dictionary(mention_rows(TEXT, {}), {"d": TEXT}, V6)
    assert "boggart" not in v6 or not v6["boggart"].accepted
