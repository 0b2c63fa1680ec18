"""decide_v8 / names_v8 on hand-written sentences (a river-trading world; no spaCy): a name placed in time is
an event, "-mas" festivals, more head words, and role compounds written before names are titles."""

from __future__ import annotations

from anchors.build import AnchorSettings, make_dictionary
from anchors.context import role_compound
from tests.anchors.test_dictionary import mention_rows

V7 = AnchorSettings(decision="decide_v7", names="names_v7")
V8 = AnchorSettings(decision="decide_v8", names="names_v8")
TEXT = (
    "The barges stopped at Lowmark. Nobody worked until Lowmark, and the lamps were lit before Lowmark. "
    "After Lowmark the river rose. Every Lowmark the children sang. The fair opened at Lowmark. "
    "Jessamy Crale said the river was high. She tied the rope. Jessamy Crale laughed at the rain. "
    "Oswin Tarrow said nothing more. He slept. Oswin Tarrow said the barges could go. "
    "The Quillen Haulage owned the barges, and the men of the Quillen Haulage were paid late. "
    "Since the Orrin Collapse nobody trusted the banks. The Orrin Collapse took three bridges. "
    "They crossed the Vessel Pass at night. Snow closed the Vessel Pass in winter. "
    "The town kept Brinnemas with bells. At Brinnemas the bakers gave bread away. "
)
SPANS = {"Lowmark": "GPE", "Jessamy Crale": "PERSON", "Oswin Tarrow": "PERSON", "Rivermaster": "PERSON",
         "Quillen Haulage": "GPE", "Orrin Collapse": "GPE", "Vessel Pass": "PERSON", "Brinnemas": "GPE"}


ROLE = "Rivermaster Oswin Tarrow waved them on. Later the Rivermaster watched the water, and he sighed. "


def build(settings=V8, text=TEXT * 2 + ROLE):
    return make_dictionary(mention_rows(text, SPANS), {"d": text}, settings)


def test_a_name_mostly_placed_in_time_is_an_event_and_v7_keeps_its_place():
    v8, _ = build()
    assert v8["Lowmark"].label == "EVENT" and v8["Lowmark"].accepted
    v7, _ = build(V7)
    assert v7["Lowmark"].label == "GPE"
    # people are met before and after too, but they speak: Jessamy Crale stays a person
    assert v8["Jessamy Crale"].label == "PERSON"


def test_mas_festivals_and_new_head_words():
    v8, _ = build()
    v7, _ = build(V7)
    assert v8["Brinnemas"].label == "EVENT" and v7["Brinnemas"].label != "EVENT"
    assert v8["Quillen Haulage"].label == "ORG" and v7["Quillen Haulage"].label != "ORG"
    assert v8["Orrin Collapse"].label == "EVENT" and v7["Orrin Collapse"].label != "EVENT"
    assert v8["Vessel Pass"].label == "GPE" and v7["Vessel Pass"].label != "GPE"
    # the head words stay words of their kind in the replacement: "<invented> Haulage", "<invented> Pass"
    assert v8["Quillen Haulage"].replacement.endswith(" Haulage") and v8["Vessel Pass"].replacement.endswith(" Pass")


def test_a_role_compound_before_a_name_is_a_title_not_an_anchor():
    assert role_compound("Rivermaster") and role_compound("Lampwarden") and role_compound("Drownwright")
    assert not role_compound("Stillwater") and not role_compound("Master") and not role_compound("Tarrow")
    v8, _ = build()
    assert "Rivermaster" not in v8 or not v8["Rivermaster"].accepted
    assert v8["Tarrow"].accepted and v8["Oswin"].accepted  # the man it names is anchored, his title is not
    v7, _ = build(V7)
    assert v7["Rivermaster"].accepted  # v7 anchored the title and gave it a name
