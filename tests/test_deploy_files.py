"""What Heroku's Python buildpack needs at the repository's root (README "Deploying"): a
file it installs from (requirements.txt, Pipfile.lock, poetry.lock or uv.lock; it does not
install from pyproject.toml alone, and the build fails) and the Python version to run,
the one CI tests (without .python-version it picks its own default, a newer one)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_buildpack_installs_this_project() -> None:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    requirements = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    # The project itself, so its dependencies are pyproject.toml's, listed once.
    assert "." in requirements or "-e ." in requirements


def test_the_buildpack_runs_the_python_the_project_targets() -> None:
    version = (ROOT / ".python-version").read_text().strip()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["requires-python"] == f">={version}"
    assert project["tool"]["ruff"]["target-version"] == "py" + version.replace(".", "")
