"""benchmarks/known_people.py: the candidate people of a corpus and the evaluation's names kept out (by hand)."""

from __future__ import annotations

from benchmarks.known_people import candidate_pairs, disjoint


def test_candidate_pairs_by_hand():
    text = ("Tycho Brahe watched the sky. Tycho Brahe measured Mars; Brahe died in Prague, and Brahe's data lived on. "
            "Marie Curie found radium. Curie won twice, and Curie taught in Paris. "
            "Trinity College was his college; the College stood by the river, the College fed him. "
            "Gottfried Wilhelm Leibniz wrote; Wilhelm and Wilhelm again. Leibniz once.")
    # Tycho Brahe (twice) before Marie Curie (once); "Trinity College": a common word; "Gottfried Wilhelm": Wilhelm is
    # a given name; "Wilhelm Leibniz": Leibniz alone only once
    assert candidate_pairs(text) == [("Tycho", "Brahe"), ("Marie", "Curie")]


def test_disjoint_keeps_out_every_name_the_evaluation_uses():
    pairs = [("Marie", "Curie"), ("Roald", "Amundsen"), ("Ludwig", "van Beethoven"), ("Tycho", "Brahe")]
    evaluation = '{"prompt": "Matilda was written by Roald", "answers": ["Dahl"]}\n{"prompt": "Abraham van", ...}'
    assert disjoint(pairs, evaluation) == [("Marie", "Curie"), ("Tycho", "Brahe")]


def test_known_keeps_a_pair_where_the_model_names_the_surname(smollm2_tokenizer):
    import torch

    from benchmarks.known_people import known

    tok = smollm2_tokenizer
    marie = tok(" Marie", add_special_tokens=False)["input_ids"][-1]
    curie = tok(" Curie", add_special_tokens=False)["input_ids"][0]

    class Model(torch.nn.Module):  # after " Marie": " Curie" at p 0.3; after anything else: flat
        def forward(self, input_ids):
            logits = torch.zeros(1, input_ids.shape[1], len(tok))
            if int(input_ids[0, -1]) == marie:
                logits[0, -1, curie] = float(torch.log(torch.tensor(0.3 * (len(tok) - 1) / 0.7)))
            return type("Out", (), {"logits": logits})()

    pairs = [("Marie", "Curie"), ("Tycho", "Brahe")]
    assert known(pairs, Model(), tok, min_p=0.1) == [("Marie", "Curie")]
    assert known(pairs, Model(), tok, min_p=0.5) == []  # 0.3 is under it
