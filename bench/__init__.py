"""Benchmarks a person runs: each prints its figures and the ratio to its baseline."""
