"""Recipe trials on the device machine (benchmarks/device/README.md): WORKERS processes, each in its own copy of
the restored workspace (the stages it only reads shared by symlink), take trials from the JSON file given
([[name, ["section.key=value", ...]], ...]); each trial is `obliviate run TARGET --set ...` and writes one JSON
line of the unlearned model's metrics to $OUT/results.jsonl, its stage lines to $OUT/trials.log.

Every trial also sets unlearn.max_steps=100000, more steps than an epoch holds: the training is unchanged but the
model's version is not the one stored from this machine's runs, so its evaluation measures the GPU's model
instead of reusing the stored rows. No trial starts after BUDGET_S seconds; all are killed at HARD_S."""
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq

OUT = Path(os.environ["OUT"])
K = Path("/tmp/keep")
BASE_WS = Path("/tmp/ws0")
T = json.loads((K / "manifest.json").read_text())["target_file"]
WORKERS = int(os.environ.get("WORKERS", "4"))
DEADLINE = time.time() + float(os.environ.get("BUDGET_S", "430"))  # no trial starts after this
HARD_END = time.time() + float(os.environ.get("HARD_S", "545"))  # every trial is killed by this
lock = threading.Lock()


def workspace(i: int) -> Path:
    ws = Path(f"/tmp/ws{i + 1}")
    shutil.rmtree(ws, ignore_errors=True)  # a second call on a warm machine starts over
    (ws / "artifacts").mkdir(parents=True)
    shutil.copy(BASE_WS / "obliviate.duckdb", ws / "obliviate.duckdb")
    for stage in (BASE_WS / "artifacts").iterdir():
        if stage.name in ("unlearn", "evaluate"):
            shutil.copytree(stage, ws / "artifacts" / stage.name, symlinks=True)
        else:
            (ws / "artifacts" / stage.name).symlink_to(stage)
    (ws / "cache").mkdir()
    (ws / "cache" / "models").symlink_to(BASE_WS / "cache" / "models")
    return ws


def log(text: str) -> None:
    with lock, open(OUT / "trials.log", "a") as f:
        f.write(text if text.endswith("\n") else text + "\n")


def trial(ws: Path, name: str, sets: list[str]) -> None:
    cmd = [sys.executable, str(K / "obl.py"), "-w", str(ws), "run", T, "--set", "unlearn.max_steps=100000"]
    for s in sets:
        cmd += ["--set", s]
    threads = os.environ.get("THREADS", str(max(1, 16 // WORKERS)))
    env = {**os.environ, "OMP_NUM_THREADS": threads, "OBLIVIATE_NO_PROGRESS": "1"}
    started = time.time()
    out, rc = "", None
    for attempt in range(2):  # a failed evaluation on the GPU is retried with no GPU in sight (the model is reused)
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=max(10, HARD_END - time.time()))
            out, rc = out + done.stdout + done.stderr, done.returncode
        except subprocess.TimeoutExpired as e:
            out, rc = out + f"timeout: {e}", -9
        if rc == 0 or rc == -9 or not re.search(r"^unlearn\s+[0-9a-f]{12}", out, re.M) or attempt:
            break
        out += "\n---- retried with CUDA_VISIBLE_DEVICES=''\n"
        env = {**env, "CUDA_VISIBLE_DEVICES": ""}
    took = time.time() - started
    row = {"trial": name, "sets": sets, "rc": rc, "seconds": round(took, 1)}
    built = re.findall(r"^(unlearn|evaluate)\s+([0-9a-f]{12})\s+built in ([\d.]+)s", out, re.M)
    found = {stage: version for stage, version, _ in built}
    row["stage_seconds"] = {stage: float(sec) for stage, _, sec in built}
    row |= {f"{k}_version": v for k, v in found.items()}
    if rc == 0 and "evaluate" in found and "unlearn" in found:
        try:
            folder = next((ws / "artifacts" / "evaluate").glob(f"*/{found['evaluate']}")) / "metrics"
            table = pq.ParquetDataset(sorted(str(p) for p in folder.glob("part-*.parquet"))).read().to_pylist()
            row["metrics"] = {r["metric"]: r["value"] for r in table if r["model_version"] == found["unlearn"]}
        except Exception as exc:  # the log keeps the results table
            row["error"] = repr(exc)
    with lock, open(OUT / "results.jsonl", "a") as f:
        f.write(json.dumps(row) + "\n")
    log(f"==== {name} rc={rc} {took:.0f}s {sets}\n" + "\n".join(out.splitlines()[-40:] if rc else
        [l for l in out.splitlines() if re.match(r"^(unlearn|evaluate|labels)\s", l)] + out.splitlines()[-6:]))


def worker(i: int, todo: queue.Queue) -> None:
    ws = workspace(i)
    while time.time() < DEADLINE:
        try:
            name, sets = todo.get_nowait()
        except queue.Empty:
            return
        log(f"start {name} on ws{i + 1} at {time.strftime('%H:%M:%S')}")
        trial(ws, name, sets)


if __name__ == "__main__":
    todo: queue.Queue = queue.Queue()
    for name, sets in json.loads(Path(sys.argv[1]).read_text()):
        todo.put((name, sets))
    threads = [threading.Thread(target=worker, args=(i, todo)) for i in range(WORKERS)]
    for t in threads:
        t.start()
        time.sleep(float(os.environ.get("STAGGER_S", "5")))  # the first worker's preparation is not raced
    for t in threads:
        t.join()
    log("all done")
