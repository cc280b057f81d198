"""Checks: one module per family, each a pure function returning a list of Finding."""
