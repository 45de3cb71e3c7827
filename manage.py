"""Set up whatever is missing, then serve or test: the two commands of the README's Quick start.

    python3 manage.py serve      # .venv + locked dependencies, migrations, server on HOST:PORT
    python3 manage.py test       # .venv + locked dependencies with test tools, pytest
    python3 manage.py migrate    # only apply migrations
    python3 manage.py typecheck  # mypy over the project (configured in pyproject.toml)
    python3 manage.py lock       # rewrite requirements/*.txt from pyproject.toml's ranges
                                 # (keeps current pins that still fit; --upgrade takes the newest)

Needs nothing but Python 3.11+. pyproject.toml holds the ranges; requirements/run.txt and
requirements/test.txt hold the exact versions with their hashes, so every fresh machine installs the
same files. A lock is installed again only when it changes (a stamp in .venv records its hash), and
a lock made from other ranges than pyproject.toml's is refused. Standard library only.
"""

from __future__ import annotations

import hashlib
import json
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
LOCKS = ROOT / "requirements"
DIGEST_PREFIX = "# pyproject-sha256: "
# What mypy checks: the application, not tests/ or bench/ (see [tool.mypy] in pyproject.toml).
TYPED = ["app.py", "settings.py", "rest.py", "manage.py"]
TYPED_PACKAGES = ["adapters", "jobs", "live", "models", "resolvers", "schema", "web"]


def lock_path(with_tests: bool) -> Path:
    return LOCKS / ("test.txt" if with_tests else "run.txt")


def declared_digest() -> str:
    """The hash of what pyproject.toml declares: a lock made from anything else is stale."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {
        "requires-python": project.get("requires-python"),
        "dependencies": project["dependencies"],
        "optional-dependencies": project.get("optional-dependencies", {}),
    }
    return hashlib.sha256(json.dumps(declared, sort_keys=True).encode()).hexdigest()


def locked_digest(lock: Path) -> str | None:
    for line in lock.read_text().splitlines():
        if line.startswith(DIGEST_PREFIX):
            return line.removeprefix(DIGEST_PREFIX).strip()
    return None


def ensure_environment(with_tests: bool, require_current_lock: bool = True) -> None:
    if sys.version_info < (3, 11):
        sys.exit("creatorgraph needs Python 3.11 or newer")
    lock = lock_path(with_tests)
    if require_current_lock and locked_digest(lock) != declared_digest():
        sys.exit(
            f"{lock.relative_to(ROOT)} was not made from pyproject.toml's current dependencies:"
            " run `python3 manage.py lock` and commit requirements/"
        )
    if not PYTHON.exists():
        print("creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    stamp = VENV / f".deps-{'test' if with_tests else 'run'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    print(f"installing dependencies from {lock.relative_to(ROOT)} …", flush=True)
    subprocess.run(
        [
            str(PYTHON),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--require-hashes",
            "-r",
            str(lock),
        ],
        check=True,
    )
    stamp.write_text(digest)


def lock(options: list[str]) -> int:
    """Resolve pyproject.toml's ranges with uv (itself pinned in the test lock) for every platform.

    The test lock is constrained by the run lock, so the server runs exactly the versions the tests
    ran. uv reads no pip configuration and is told to record no index, so a machine's local
    mirror never ends up in the lock.
    """
    if lock_path(with_tests=True).exists():
        ensure_environment(with_tests=True, require_current_lock=False)
    else:
        _install_declared_lock_tool()
    LOCKS.mkdir(exist_ok=True)
    digest = declared_digest()
    runtime = lock_path(with_tests=False)
    for target, extra in ((runtime, []), (lock_path(with_tests=True), ["--extra", "test"])):
        constraints = ["--constraints", str(runtime.relative_to(ROOT))] if extra else []
        result = subprocess.run(
            [
                str(BIN / "uv"),
                "pip",
                "compile",
                "pyproject.toml",
                *extra,
                *constraints,
                "--universal",
                "--generate-hashes",
                "--no-header",
                "--quiet",
                "--output-file",
                str(target.relative_to(ROOT)),
                *options,
            ],
            cwd=ROOT,
            check=False,
        )
        if result.returncode != 0:
            return result.returncode
        purpose = "the test command and CI" if extra else "the server"
        header = (
            f"# The exact dependencies of {purpose}, for every platform, with their hashes.\n"
            "# Made by `python3 manage.py lock` from pyproject.toml's ranges; not edited by hand.\n"
            f"{DIGEST_PREFIX}{digest}\n"
        )
        target.write_text(header + target.read_text())
        print(f"wrote {target.relative_to(ROOT)}")
    return 0


def _install_declared_lock_tool() -> None:
    """With no lock yet (a first lock, or requirements/ removed), take uv from pyproject's range."""
    if not PYTHON.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    uv = [r for r in project["optional-dependencies"]["test"] if r.split(">")[0].strip() == "uv"]
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", *uv], check=True)


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
    if command == "typecheck":
        ensure_environment(with_tests=True)
        targets = TYPED + [name for name in TYPED_PACKAGES if (ROOT / name).is_dir()]
        return subprocess.call([str(PYTHON), "-m", "mypy", *rest, *targets], cwd=ROOT)
    if command == "lock":
        return lock(rest)
    print(__doc__)
    return 2


if __name__ == "__main__":
    try:
        raise SystemExit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        raise SystemExit(130) from None
