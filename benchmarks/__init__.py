"""Benchmarks run by `make bench`: each module in benchmarks.run.MODULES measures one capability end to end and
returns its figures, which are printed and merged into benchmarks/results.json."""
