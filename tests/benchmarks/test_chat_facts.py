"""benchmarks/chat_facts.py: the fact items asked through a chat template, each model against a reference."""

import json

import pytest

from benchmarks.chat_facts import main
from training.fact_items import chat_prompts
from training.models import load_tokenizer


def test_chat_prompts_use_the_models_template(smollm2_tokenizer_dir):
    tok = load_tokenizer(smollm2_tokenizer_dir)
    [text] = chat_prompts(tok, ["Ron's twin brothers are Fred and"])
    # SmolLM2's template: the user turn holds the question, the text ends where the assistant's reply begins
    assert "<|im_start|>user\nFinish this sentence: Ron's twin brothers are Fred and<|im_end|>" in text
    assert text.endswith("<|im_start|>assistant\n")


def test_a_tokenizer_without_a_template_is_one_error_line(tiny_model_dir, tmp_path, capsys, with_chat_template):
    folder = with_chat_template(tiny_model_dir, tmp_path / "plain", None)
    assert load_tokenizer(folder).chat_template is None
    facts = tmp_path / "facts.jsonl"
    facts.write_text(json.dumps({"prompt": "They left and", "answers": ["Ron"], "topic": "t", "split": "dev"}) + "\n")
    with pytest.raises(SystemExit, match="^error: the model's tokenizer has no chat template"):
        main([str(facts), "--models", str(folder)])


def test_items_asked_in_chat_and_paired_with_the_reference(forced_model_dir, tiny_model_dir, tmp_path, capsys,
                                                            with_chat_template):
    """The forced model says " Ron" after " and". Under a template that puts the question last ("... and"), it answers
    the two "and" -> Ron items in chat; under SmolLM2's own template the reply starts after "assistant\\n" and the
    same model answers nothing, so the template is what the benchmark runs. The random tiny model answers nothing."""
    bare = with_chat_template(forced_model_dir, tmp_path / "bare", "{{ messages[0]['content'] }}")
    items = [("The castle stood on a hill and", "Ron", "a", "dev"), ("She waved and", "Hermione", "b", "dev"),
             ("They left and", "Ron", "c", "dev"), ("The twins waved and", "Ron", "d", "test")]
    facts = tmp_path / "facts.jsonl"
    facts.write_text("".join(json.dumps({"prompt": p, "answers": [a], "topic": t, "split": s}) + "\n"
                             for p, a, t, s in items))
    rows = tmp_path / "rows.jsonl"
    main([str(facts), "--models", str(bare), str(forced_model_dir), str(tiny_model_dir),
          "--names", "ref,own,tiny", "--new-tokens", "3", "--rows", str(rows)])
    out = capsys.readouterr().out
    assert "facts (3 items): ref answers 2" in out  # the dev split only
    replies = [json.loads(l) for l in rows.read_text().splitlines()]
    ref = {r["item_id"]: r for r in replies if r["model"] == "ref"}
    assert ref["facts: They left and"]["reply"].startswith(" Ron") and ref["facts: They left and"]["answered"]
    assert not ref["facts: She waved and"]["answered"]
    for name in ("own", "tiny"):
        line = next(l for l in out.splitlines() if l.strip().startswith(name))
        # none answered: both of the reference's items lost, none gained, p = 1/4
        assert line.split()[1] == "0/3" and "lost 2, gained 0" in line and line.endswith("= 0.250")
    main([str(facts), "--models", str(bare), "--split", "test"])
    assert "facts (1 items): bare answers 1" in capsys.readouterr().out


def test_a_missing_file_or_model_folder_is_one_error_line(tiny_model_dir, tmp_path, capsys):
    facts = tmp_path / "facts.jsonl"
    facts.write_text(json.dumps({"prompt": "They left and", "answers": ["Ron"], "topic": "t"}) + "\n")
    with pytest.raises(SystemExit):
        main([str(tmp_path / "none.jsonl"), str(facts), "--models", str(tiny_model_dir), str(tmp_path)])
    assert f"not a fact file or model folder: {tmp_path / 'none.jsonl'}, {tmp_path}" in capsys.readouterr().err
