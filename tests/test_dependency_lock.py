"""The dependency locks: every fresh machine installs the same files, made from pyproject."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import manage

REQUIREMENT = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>[^ ;\\]+)(?P<marker> ;[^\\]+)?")


def _requirements(lock: Path) -> dict[tuple[str, str], str]:
    """(name, marker) → version, for each requirement line of a lock."""
    pins = {}
    for line in lock.read_text().splitlines():
        match = REQUIREMENT.match(line)
        if match:
            key = (match["name"].lower(), (match["marker"] or "").strip())
            pins[key] = match["version"]
    return pins


@pytest.mark.parametrize("with_tests", [False, True], ids=["run", "test"])
def test_lock_was_made_from_the_current_pyproject(with_tests):
    lock = manage.lock_path(with_tests)
    assert manage.locked_digest(lock) == manage.declared_digest(), (
        "pyproject.toml's dependencies changed: run `python3 manage.py lock`"
    )


@pytest.mark.parametrize("with_tests", [False, True], ids=["run", "test"])
def test_every_locked_requirement_is_pinned_with_its_hashes(with_tests):
    text = manage.lock_path(with_tests).read_text()
    entries = re.split(r"\n(?=[A-Za-z])", text.split("\n", 3)[3])
    assert entries
    for entry in entries:
        assert REQUIREMENT.match(entry), entry.splitlines()[0]
        assert "--hash=sha256:" in entry, entry.splitlines()[0]


def test_the_test_lock_pins_exactly_the_servers_versions():
    served = _requirements(manage.lock_path(with_tests=False))
    tested = _requirements(manage.lock_path(with_tests=True))
    assert {key: tested.get(key) for key in served} == served


@pytest.mark.parametrize("with_tests", [False, True], ids=["run", "test"])
def test_lock_records_no_index_or_local_path(with_tests):
    text = manage.lock_path(with_tests).read_text()
    options = [line for line in text.splitlines() if line.startswith("-")]
    assert options == []
    assert "://" not in text
    assert "/opt/" not in text


def test_manage_refuses_a_lock_made_from_other_ranges(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nrequires-python = ">=3.11"\ndependencies = ["httpx>=0.28,<1"]\n'
    )
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "run.txt").write_text(
        f"{manage.DIGEST_PREFIX}{'0' * 64}\nhttpx==0.28.1 \\\n    --hash=sha256:{'1' * 64}\n"
    )
    monkeypatch.setattr(manage, "ROOT", tmp_path)
    monkeypatch.setattr(manage, "LOCKS", tmp_path / "requirements")
    monkeypatch.setattr(manage, "VENV", tmp_path / ".venv")
    monkeypatch.setattr(manage, "PYTHON", tmp_path / ".venv" / "bin" / "python")

    with pytest.raises(SystemExit, match=r"manage\.py lock"):
        manage.ensure_environment(with_tests=False)
    assert not (tmp_path / ".venv").exists()
