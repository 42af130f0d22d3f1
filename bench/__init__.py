"""novu-mock's benchmark suite: `python -m bench` (from the repository root) prints a table of
medians with their spread, each against a target or a peer measured in the same run, and writes
the same figures to `bench/results/latest.json`. `python -m bench --smoke` runs tiny sizes."""
