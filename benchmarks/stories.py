"""Stories with invented names (Faker first names, syllable surnames and places), seeded: text no heuristic
was tuned on. Used by the held-out anchors test (one story) and the 4 MB extract + anchors timing (many)."""

from __future__ import annotations

import random

SENTENCES = [
    "{a} {A} walked into {P} before dawn, and {he_a} carried a letter from {b} {B}.",
    "At {P}, {b} {B} told {a} that {she_b} had seen the {T} in the old tower.",
    "{a} laughed. Later {he_a} wrote to {c} {C} about the {T}.",
    "The {O} met in London on Monday, and {c} spoke English to everyone.",
    "{b} and {a} rode north to {P}, where the {O} kept the {T} hidden.",
    "Mr. {A} and Mrs. {B} argued, but {c} {C} settled it over supper.",
]


def story(seed: int, sentences: int = 60) -> tuple[str, dict]:
    """(text, the invented names by role) of one seeded story."""
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    syl = lambda: "".join(rng.choice("bdgklmnprstvz") + rng.choice("aeiou") for _ in range(3))  # noqa: E731
    names = {"a": fake.first_name_male(), "b": fake.first_name_female(), "c": fake.first_name_male(),
             "A": syl().capitalize(), "B": syl().capitalize(), "C": syl().capitalize(),
             "P": syl().capitalize() + "holm", "O": syl().capitalize() + " Circle", "T": syl().capitalize() + " Stone"}
    text = " ".join(rng.choice(SENTENCES).format(**names, he_a="he", she_b="she") for _ in range(sentences))
    return text, names
