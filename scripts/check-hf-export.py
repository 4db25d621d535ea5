#!/usr/bin/env python3
"""Load a `cohort export` directory with Hugging Face transformers and generate 10 tokens.

usage: python3 scripts/check-hf-export.py <dir> [prompt]
Needs torch and transformers (pip install torch transformers); runs on a GPU when there is one.
"""
import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

path = sys.argv[1]
prompt = sys.argv[2] if len(sys.argv) > 2 else "The jury said"
device = "cuda" if torch.cuda.is_available() else "cpu"
tokenizer = AutoTokenizer.from_pretrained(path)
model = AutoModelForCausalLM.from_pretrained(path).to(device).eval()
assert type(model).__name__ == "LlamaForCausalLM", type(model).__name__
inputs = tokenizer(prompt, return_tensors="pt").to(device)
with torch.no_grad():
    loss = model(**inputs, labels=inputs["input_ids"]).loss.item()
    out = model.generate(**inputs, max_new_tokens=10, min_new_tokens=10, do_sample=False)
new = out[0, inputs["input_ids"].shape[1] :]
assert len(new) == 10 and int(new.max()) < len(tokenizer), new.tolist()
print(f"{type(model).__name__}: {model.num_parameters():,} parameters, {next(model.parameters()).dtype}, {device}")
print(f"prompt {prompt!r} -> ids {inputs['input_ids'][0].tolist()}, loss {loss:.3f}")
print(f"generated ids {new.tolist()}: {tokenizer.decode(new)!r}")
