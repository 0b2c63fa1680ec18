"""benchmarks/measure_fact_guess_level.py: the share of fact items still answered once the target's names are gone."""

from benchmarks.measure_fact_guess_level import guess_report
from corpus_tools.translate import Matcher


def test_guess_report_counts_answers_among_the_rewritten_prompts_only():
    matcher = Matcher([("Harry", "Kenneth", "PERSON"), ("Hogwarts", "Ashford", "ORG")])
    items = [
        {"prompt": "Harry went to school at", "answers": ["Hogwarts"], "split": "test"},           # rewritten, missed
        {"prompt": "Harry's school of Witchcraft and", "answers": ["Wizardry"], "split": "test"},  # rewritten, guessed
        {"prompt": "The sky is", "answers": ["blue"], "split": "test"},                            # not rewritten
        {"prompt": "Harry's friend is Ron and", "answers": ["Hermione"], "split": "dev"},          # rewritten, missed
    ]
    seen = []

    def complete(prompts):
        seen.extend(prompts)
        return [" Wizardry" if p.endswith("and") else " a castle" for p in prompts]

    got = guess_report(items, matcher, complete)
    assert seen == ["Kenneth went to school at", "Kenneth's school of Witchcraft and", "Kenneth's friend is Ron and"]
    assert {k: got[k] for k in ("items", "prompt_translated", "still_answered", "guessable_share",
                                "guessable_share_test", "guessable_share_dev")} == {
        "items": 4, "prompt_translated": 3, "still_answered": 1, "guessable_share": 0.333,
        "guessable_share_test": 0.5, "guessable_share_dev": 0.0}
    assert got["still_answered_items"] == [{"prompt": "Kenneth's school of Witchcraft and", "completion": " Wizardry"}]
