"""Imports point one way: the bot process loads nothing of the dashboard."""

from __future__ import annotations

from bot_harness import ROOT, run_python

# The dashboard's package, its web framework and database layer, and what only they use.
DASHBOARD_ONLY = ("desk", "flask", "sqlalchemy", "models", "forms", "app")

# Every module of botkit, not only those bot.py reaches today.
LOADED_BY_THE_BOT = f"""
import pkgutil, sys
import bot, botkit
for module in pkgutil.iter_modules(botkit.__path__, "botkit."):
    __import__(module.name)
names = sorted(n for n in sys.modules if n.split(".")[0] in {DASHBOARD_ONLY!r})
print(" ".join(names))
"""


def test_the_bot_process_loads_nothing_of_the_dashboard():
    result = run_python("-c", LOADED_BY_THE_BOT, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == []
