"""``leadflow bench``: measured figures for docs/benchmarks.md.

Benchmarks run against their own database under ``var/bench/`` so that the
demo or production data are never touched, and measure a real server over
loopback HTTP.
"""
