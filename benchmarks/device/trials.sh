#!/bin/bash
# Call 3 on the device machine (benchmarks/device/README.md): DuckDB, the workspace restored, the GPU tests in the
# background, then the trials of the JSON file given (e.g. .dev/p3/pretrained_round1.json).
K=/tmp/keep
cp .dev/p3/obl.py .dev/p3/trials.py .dev/p3/restore.py .dev/p3/manifest.json $K/
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .dev/p3/duckdb*.whl || exit 4
export PYTHONPATH=/tmp/site:$K/stubs:$K:$PWD HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false PYTHONUNBUFFERED=1
python3 $K/restore.py .dev/p3/ws.tar.xz /tmp/ws0 2>&1 | tail -4 | tee $OUT/restore.txt
[ "${PIPESTATUS[0]}" = 0 ] || exit 5
(timeout 150 python3 -m pytest -q -p no:cacheprovider tests/training/test_gpu.py tests/training/test_adversary.py > $OUT/pytest.log 2>&1; echo "pytest rc $?" >> $OUT/pytest.log) &
BUDGET_S=${BUDGET_S:-340} HARD_S=${HARD_S:-440} python3 $K/trials.py "$@"
wait
