"""The inference-time WHP logit ensemble (the MUSE benchmark's "WHP" baseline): no training at all.

At every step the subject (base, logits v_b) and the reinforced model (v_r) both run, and the next
token comes from `v_b - alpha * relu(v_r - v_b)`: the generic-prediction formula of the paper's
Eq. 1 applied at inference, on the original text. Each model keeps its own key-value cache, so
generation costs two incremental forwards per token.

An `unlearn` artifact with method ensemble holds only `model/ensemble.json` (alpha and the two
model folders, relative to that file); `load_ensemble` builds the wrapper from it.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import torch
from transformers.modeling_outputs import CausalLMOutputWithPast

from corpus_tools.errors import ObliviateError

MANIFEST = "ensemble.json"


def ensemble_logits(v_b: torch.Tensor, v_r: torch.Tensor, alpha: float) -> torch.Tensor:
    return v_b - alpha * torch.relu(v_r - v_b)


class LogitEnsemble(torch.nn.Module):
    """Two causal LMs behind one forward; `past_key_values` is the pair (subject cache, reinforced cache)."""

    def __init__(self, base, reinforced, alpha: float):
        super().__init__()
        if base.config.vocab_size != reinforced.config.vocab_size:
            raise ObliviateError(f"ensemble: vocabularies differ ({base.config.vocab_size} vs "
                                 f"{reinforced.config.vocab_size})")
        self.base, self.reinforced, self.alpha = base, reinforced, float(alpha)
        self.config = base.config
        self.generation_config = base.generation_config

    @property
    def device(self) -> torch.device:
        return self.base.device

    def forward(self, input_ids, attention_mask=None, past_key_values=None, use_cache: bool = False,
                position_ids=None, cache=None, **kw) -> CausalLMOutputWithPast:
        """`past_key_values` (or `cache`, its name from transformers 5.2x on) is the pair of caches."""
        kw.pop("labels", None)  # a loss of the ensemble is meaningless: it is never trained
        pair = cache if cache is not None else past_key_values
        past_b, past_r = pair if pair is not None else (None, None)
        common = dict(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                      use_cache=use_cache, **kw)
        out_b = self.base(cache=past_b, **common)
        out_r = self.reinforced(cache=past_r, **common)
        logits = ensemble_logits(out_b.logits.float(), out_r.logits.float(), self.alpha)
        return CausalLMOutputWithPast(logits=logits, cache=(out_b.cache, out_r.cache) if use_cache else None)

    @torch.inference_mode()
    def generate(self, input_ids, attention_mask=None, max_new_tokens: int = 20, pad_token_id: int | None = None,
                 do_sample: bool = False, **_ignored) -> torch.Tensor:
        """Greedy decoding with both caches, like HF `generate` (left padding; pad after end of sequence)."""
        if do_sample:
            raise ObliviateError("the logit ensemble only decodes greedily")
        mask = torch.ones_like(input_ids) if attention_mask is None else attention_mask
        eos = self.generation_config.eos_token_id
        eos = torch.tensor([eos] if isinstance(eos, int) else list(eos or []), device=input_ids.device)
        pad = pad_token_id if pad_token_id is not None else (int(eos[0]) if len(eos) else 0)
        pos = (mask.cumsum(-1) - 1).clamp_min(0)  # left padding: each prompt sees the positions it has alone
        seq, step_ids, past = input_ids, input_ids, None
        done = torch.zeros(len(input_ids), dtype=torch.bool, device=input_ids.device)
        for _ in range(max_new_tokens):
            out = self(step_ids, attention_mask=mask, past_key_values=past, use_cache=True, position_ids=pos)
            nxt = out.logits[:, -1].argmax(-1)
            nxt = torch.where(done, torch.full_like(nxt, pad), nxt)
            seq = torch.cat([seq, nxt[:, None]], dim=1)
            done |= torch.isin(nxt, eos)
            if bool(done.all()):
                break
            past, step_ids = out.cache, nxt[:, None]
            mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=1)
            pos = pos[:, -1:] + 1
        return seq


def write_manifest(folder: Path, *, base: Path, reinforced: Path, alpha: float, final: Path | None = None) -> Path:
    """`folder/ensemble.json` with paths relative to `final` (where the folder will live once published).

    The subject's tokenizer files are copied beside it, so the folder also serves as a tokenizer folder.
    """
    final = Path(final or folder)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {"method": "ensemble", "alpha": float(alpha),
                "base": os.path.relpath(Path(base).resolve(), final.resolve()),
                "reinforced": os.path.relpath(Path(reinforced).resolve(), final.resolve())}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1))
    for f in Path(base).iterdir():
        if f.is_file() and f.name.startswith(("tokenizer", "special_tokens", "vocab", "merges", "chat_template")):
            shutil.copy2(f, folder / f.name)
    return folder / MANIFEST


def is_ensemble(folder: Path) -> bool:
    return (Path(folder) / MANIFEST).is_file()


def load_ensemble(folder: Path, dtype: torch.dtype = torch.float32) -> LogitEnsemble:
    """The wrapper described by `folder/ensemble.json`, both models in eval mode."""
    from transformers import AutoModelForCausalLM

    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        paths = [(folder / manifest[k]).resolve() for k in ("base", "reinforced")]
        alpha = float(manifest["alpha"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ObliviateError(f"ensemble manifest {folder / MANIFEST} is unreadable: {exc}") from None
    for p in paths:
        if not (p / "config.json").exists():
            raise ObliviateError(f"ensemble manifest {folder / MANIFEST}: no model at {p}")
    base, reinforced = (AutoModelForCausalLM.from_pretrained(str(p), dtype=dtype).eval() for p in paths)
    return LogitEnsemble(base, reinforced, alpha).eval()
