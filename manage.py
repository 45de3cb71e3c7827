"""Set up whatever is missing, then serve or test: the two commands of the README's Quick start.

    python3 manage.py serve     # .venv + dependencies, migrations, server on HOST:PORT
    python3 manage.py test      # .venv + dependencies (with test extras), pytest
    python3 manage.py migrate   # only apply migrations

Needs nothing but Python 3.11+. Dependencies come from pyproject.toml; they are installed again
only when pyproject.toml changes (a stamp in .venv records its hash). Standard library only.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def _requirements(with_tests: bool) -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    if with_tests:
        requirements += project["optional-dependencies"]["test"]
    return requirements


def ensure_environment(with_tests: bool) -> None:
    if sys.version_info < (3, 11):
        sys.exit("creatorgraph needs Python 3.11 or newer")
    if not PYTHON.exists():
        print("creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    requirements = _requirements(with_tests)
    digest = hashlib.sha256("\n".join(requirements).encode()).hexdigest()
    stamp = VENV / f".deps-{'test' if with_tests else 'run'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    print("installing dependencies …", flush=True)
    subprocess.run(
        [
            str(PYTHON),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *requirements,
        ],
        check=True,
    )
    stamp.write_text(digest)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "serve"
    rest = argv[1:]
    if command == "serve":
        ensure_environment(with_tests=False)
        return subprocess.call([str(PYTHON), "app.py", "serve", *rest], cwd=ROOT)
    if command == "migrate":
        ensure_environment(with_tests=False)
        return subprocess.call([str(PYTHON), "app.py", "migrate", *rest], cwd=ROOT)
    if command == "test":
        ensure_environment(with_tests=True)
        return subprocess.call([str(PYTHON), "-m", "pytest", *rest], cwd=ROOT)
    print(__doc__)
    return 2


if __name__ == "__main__":
    try:
        raise SystemExit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        raise SystemExit(130) from None
