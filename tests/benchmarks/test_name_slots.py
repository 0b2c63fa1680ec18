"""benchmarks/name_slots.py: the slots found by hand, and their probabilities read at the right place."""

from __future__ import annotations

import torch

from benchmarks.name_slots import slot_probabilities, slots


def test_slots_by_hand():
    # person A: given name tokens [5, 6], surname token 7; person B: given [9], surname 3
    ids = torch.tensor([[5, 6, 7, 1, 9, 3, 9, 4],
                        [6, 7, 5, 6, 2, 9, 9, 3]])
    found = slots(ids, [([5, 6], 7), ([9], 3)])
    # row 0: "5 6" ends at 1 then 7; "9" at 4 then 3 (not at 6: 4 follows); row 1: "5 6" at 2-3 then 2 (no);
    # "9" at 6 then 3 (not at 5: 9 follows); a lone 6 then 7 is no given name
    assert found == [(0, 1, 7), (0, 4, 3), (1, 6, 3)]


class _Fixed(torch.nn.Module):
    """Logits that make token (position + row) certain at each position."""

    def forward(self, input_ids, attention_mask):
        b, t = input_ids.shape
        logits = torch.full((b, t, 16), -1e4)
        for r in range(b):
            for i in range(t):
                logits[r, i, (i + int(input_ids[r, 0])) % 16] = 0.0
        return type("Out", (), {"logits": logits})()


def test_slot_probabilities_read_each_slots_row_and_position():
    ids = torch.tensor([[0, 1, 2, 3], [5, 1, 2, 3], [9, 9, 9, 9]])
    found = [(0, 2, 2), (1, 1, 6), (1, 2, 3)]  # certain, certain, impossible; row 2 holds no slot
    p = slot_probabilities(_Fixed(), ids, torch.ones_like(ids), found, batch_size=1)
    assert p.tolist() == [1.0, 1.0, 0.0]
