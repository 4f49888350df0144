"""The shape of the code: imports run one way, so each layer can be read and tested alone.

entry points (app.py, bot.py) -> packages (desk/, botkit/) -> schedule_forms.py (rotation and
override forms) and reply_forms.py (answers, notes, saved replies) -> forms.py -> schedule_models.py
(rotations, overrides, cover requests), report_models.py (the reports' day rows) and
message_models.py (files on tickets, edited texts, saved replies) -> models.py ->
model_types.py (the column types they share) -> escalation.py, envconfig.py and user_text.py
(neutral: the settings parsing and the showing of user-written text both processes share) ->
on_call_schedule.py (who the slots, rotations and overrides put on call) -> rotations.py ->
weekly_schedule.py (the week a schedule repeats in, under the pure rules).
Nothing below imports anything above it. And no Python file is longer than 600 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What each part of the code may import of ours: only the parts of a lower layer. The schedule
# modules lie under the pure rules, each on the one below; a new neutral module joins
# envconfig.py at layer 0.
LAYER = {
    "app": 3,
    "bot": 3,
    "desk": 2,
    "botkit": 2,
    "schedule_forms": 1.75,
    "reply_forms": 1.75,
    "forms": 1.5,
    "schedule_models": 1.25,
    "report_models": 1.25,
    "message_models": 1.25,
    "models": 1,
    "model_types": 0.5,
    "escalation": 0,
    "envconfig": 0,
    "user_text": 0,
    "on_call_schedule": -0.5,
    "rotations": -0.75,
    "weekly_schedule": -1,
}
OURS = set(LAYER)
PACKAGES = ("desk", "botkit")
# Every folder of Python code beside the top-level modules (the virtualenv is not ours).
CODE_FOLDERS = (*PACKAGES, "tests", "bench", "migrations")
# Past this a file is split along a seam (tests too: one test module per area).
MAX_LINES = 600


def part_of(module: str) -> str:
    return module.split(".")[0]


def python_files() -> list[Path]:
    """The code whose imports are checked: every top-level module of ours and the packages."""
    files = [ROOT / f"{name}.py" for name in sorted(OURS.difference(PACKAGES))]
    return files + [path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))]


def imports_of(path: Path) -> set[str]:
    """Top-level names of our modules that `path` imports, at any depth of the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {part_of(alias.name) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(part_of(node.module))
    return found & OURS


def part_of_file(path: Path) -> str:
    relative = path.relative_to(ROOT)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def test_no_part_of_the_code_imports_a_part_above_it_or_beside_it() -> None:
    wrong = []
    for path in python_files():
        here = part_of_file(path)
        for other in imports_of(path) - {here}:
            if LAYER[other] >= LAYER[here]:
                wrong.append(f"{path.relative_to(ROOT)} imports {other}")
    assert wrong == []


def test_the_pure_rules_import_nothing_of_ours_but_the_schedule_modules_below_them() -> None:
    schedule = {"on_call_schedule", "rotations", "weekly_schedule"}
    assert imports_of(ROOT / "escalation.py") == schedule
    assert imports_of(ROOT / "on_call_schedule.py") == {"rotations", "weekly_schedule"}
    assert imports_of(ROOT / "rotations.py") == {"weekly_schedule"}
    assert imports_of(ROOT / "weekly_schedule.py") == set()


def test_no_python_file_is_longer_than_600_lines() -> None:
    files = sorted(ROOT.glob("*.py"))
    files += [path for folder in CODE_FOLDERS for path in sorted((ROOT / folder).rglob("*.py"))]
    lengths = {str(path.relative_to(ROOT)): len(path.read_text().splitlines()) for path in files}

    assert "escalation.py" in lengths and "tests/conftest.py" in lengths
    assert {path: n for path, n in lengths.items() if n > MAX_LINES} == {}
