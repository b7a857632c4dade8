"""Benchmarks: `python -m benchmarks [--tier S] [--only name]`; ratios against same-run baselines."""
