"""The tensor math of training/generic.py against explicit loops, on random logits (no model)."""

from __future__ import annotations

import pytest
import torch

from training import generic


def test_apply_forbidden_sets_the_pre_replacement_mean():
    torch.manual_seed(0)
    g = torch.randn(6, 50)
    rows = torch.tensor([0, 0, 0, 1, 1, 1])
    pos = torch.tensor([0, 3, 7, 1, 2, 9])
    tokens = torch.tensor([[4, 9, 4], [7, 0, 0]])
    start = torch.tensor([[3, 5, 6], [2, generic.FROM_NEVER, generic.FROM_NEVER]])
    want = g.clone()
    for n in range(6):  # the rule, plainly
        mean = g[n].mean()
        for token, s in zip(tokens[rows[n]].tolist(), start[rows[n]].tolist()):
            if s <= pos[n]:
                want[n, token] = mean
    got = generic.apply_forbidden(g.clone(), rows, pos, tokens, start)
    torch.testing.assert_close(got, want, rtol=0, atol=0)
    assert not torch.equal(got, g)  # the example does forbid something


@pytest.mark.parametrize("seed", range(5))
def test_topk_decision_is_the_full_argmax_whenever_exact(seed):
    gen = torch.Generator().manual_seed(seed)
    g = torch.randn(400, 300, generator=gen)
    r = g + 0.5 * torch.randn(400, 300, generator=gen)  # a reinforced model close to the subject
    k = 8
    for alpha in (0.0, 0.5, 2.0, 5.0, 20.0):
        out = generic.generic_labels(g.clone(), r[None], torch.zeros(400, dtype=torch.long), torch.arange(400), alpha, k)
        full = (g - alpha * torch.relu(r - g)).argmax(1)
        assert torch.equal(out.label, full)
        label, exact = generic.topk_decision(out.topk_ids, out.topk_g, out.topk_r, out.threshold, alpha)
        assert torch.equal(exact, out.exact)
        assert torch.equal(label[exact], full[exact])
        assert 0 < int(exact.sum())
        # the bound says up to which alpha the same rows stay exact
        inside = out.exact_up_to > alpha * (1 + 1e-4) + 1e-6
        outside = out.exact_up_to < alpha * (1 - 1e-4) - 1e-6
        assert bool(exact[inside].all()) and not bool(exact[outside].any())
        if alpha == 0.0:
            assert bool(exact.all())  # alpha 0 is plain argmax of g: always in the top-k


def test_trained_rows_skip_unmapped_padding_and_last_position():
    blocks = [dict(block_id=7, input_ids=[5, 6, 7, 8], translated_ids=[5, 9, 9, 7, 8], position_map=[0, -1, 3, 4],
                   forbidden_tokens=[9], forbidden_from=[2]),
              dict(block_id=8, input_ids=[1, 2], translated_ids=[1, 2], position_map=[0, 1],
                   forbidden_tokens=[], forbidden_from=[])]
    batch = generic.collate(blocks)
    rows, pos, t_pos = generic.trained_rows(batch)
    assert list(zip(rows.tolist(), pos.tolist(), t_pos.tolist())) == [(0, 0, 0), (0, 2, 3), (1, 0, 0)]
    assert batch.forbidden_from[1].tolist() == [generic.FROM_NEVER]


@pytest.mark.parametrize("width", [49152, 50000, 300])
def test_fast_topk_equals_torch_topk(width):
    x = torch.randn(37, width, generator=torch.Generator().manual_seed(width))
    x[3, 100:200] = 7.0  # ties across chunks
    values, ids = generic.fast_topk(x, 33)
    want = x.topk(33, dim=1).values
    torch.testing.assert_close(values, want, rtol=0, atol=0)
    torch.testing.assert_close(x.gather(1, ids), values, rtol=0, atol=0)
    assert all(len(set(row)) == 33 for row in ids.tolist())


def test_chunked_rows_from_hidden_states_equal_the_dense_computation():
    """label_rows (chunks of rows, logits from hidden states x head on demand) == the dense path, all fields."""
    gen = torch.Generator().manual_seed(3)
    B, T, d, V, k, alpha = 3, 9, 16, 120, 6, 5.0
    head = torch.nn.Linear(d, V, bias=True)
    with torch.no_grad():
        head.weight.copy_(torch.randn(V, d, generator=gen))
        head.bias.copy_(torch.randn(V, generator=gen))
    h_g, h_r = torch.randn(B, T, d, generator=gen), torch.randn(B, T, d, generator=gen)
    g_all, r_all = head(h_g).detach(), head(h_r).detach()
    rows = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 2, 2, 2])
    pos = torch.tensor([0, 1, 5, 0, 7, 0, 1, 2, 3, 4, 8])
    t_pos = pos.flip(0) % T  # the translated position differs from the original one
    tokens = torch.tensor([[3, 4], [5, 0], [int(g_all[2, 0].argmax()), 7]])
    start = torch.tensor([[1, 2], [0, generic.FROM_NEVER], [0, 4]])
    g = generic.apply_forbidden(g_all[rows, t_pos].clone(), rows, pos, tokens, start)
    want = generic.generic_labels(g, r_all, rows, pos, alpha, k)
    with torch.no_grad():
        for chunk in (1, 4, 64):
            got = generic.label_rows(generic.HeadLogits(h_g[rows, t_pos], head), generic.HeadLogits(h_r[rows, pos], head),
                                     rows, pos, tokens, start, alpha, k, chunk=chunk)
            assert torch.equal(got.label, want.label) and torch.equal(got.topk_ids, want.topk_ids)
            for a, b in ((got.topk_g, want.topk_g), (got.topk_r, want.topk_r), (got.threshold, want.threshold)):
                torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
            dense = generic.label_rows(generic.DenseLogits(g_all, rows, t_pos), generic.DenseLogits(r_all, rows, pos),
                                       rows, pos, tokens, start, alpha, k, chunk=chunk)
            assert torch.equal(dense.label, want.label) and torch.equal(dense.exact, want.exact)


def test_split_head_only_when_the_logits_are_a_plain_linear_layer(tiny_model_dir):
    from training.labels import split_head
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32).eval()
    body, head = split_head(model)
    ids = torch.tensor([[5, 80, 300, 7]])
    with torch.no_grad():
        torch.testing.assert_close(head(body(input_ids=ids).last_hidden_state), model(input_ids=ids).logits)
    real_forward = model.forward

    def scaled(*args, **kwargs):  # a model whose logits are scaled after the head (as Granite's are)
        out = real_forward(*args, **kwargs)
        out.logits = out.logits / 2
        return out

    model.forward = scaled
    assert split_head(model) is None
