"""Benchmarks (run as scripts: python bench/<name>.py) and the synthetic portal they share."""
