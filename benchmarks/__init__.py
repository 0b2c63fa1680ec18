"""Benchmarks: one `bench_<name>.py` per figure family, each with `run(quick=False) -> list[dict]`; `run_all.py` runs them."""
