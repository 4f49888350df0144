"""Benchmarks of the support desk (issue 7): intake, dashboard, poller, paging, memory.

Run them all with `python -m bench`, one with `python -m bench paging`, and a quick smoke run
(small numbers, exits non-zero only when a benchmark breaks) with `python -m bench --smoke`.
Every figure is printed beside a floor measured in the same run, because the machines these
run on are shared and absolute times drift. docs/benchmarks.md holds the committed results.
"""
