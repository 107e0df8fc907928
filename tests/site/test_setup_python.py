"""The setup picks the newest installed Python >= 3.13 (the scheduler needs 3.13; older 3.12
releases also predate the `ipaddress` fixes of CVE-2024-4032), and rebuilds a .venv made with
an older one."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def fake_python(path: Path, version: str) -> Path:
    """An executable that says it is Python `version` (the setup asks with `-c`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho {version}\n")
    path.chmod(0o755)
    return path


def pick(tmp_path: Path, *versions: str) -> str:
    bin_dir, pyenv = tmp_path / "bin", tmp_path / "pyenv"
    for version in versions:
        fake_python(pyenv / "versions" / version / "bin" / "python3", version)
    bin_dir.mkdir(exist_ok=True)
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "PYENV_ROOT": str(pyenv),
        "HOME": str(tmp_path),
    }
    done = subprocess.run(
        ["bash", "-c", f". {ROOT}/scripts/setup.sh && find_python"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_it_prefers_the_newest_python_not_the_first_found(tmp_path: Path) -> None:
    # A pyenv shim for a version not selected fails to run: it is passed over, not fatal.
    broken = tmp_path / "bin" / "python3.14"
    broken.parent.mkdir(parents=True)
    broken.write_text("#!/bin/sh\necho 'pyenv: python3.14: command not found' >&2\nexit 127\n")
    broken.chmod(0o755)
    chosen = pick(tmp_path, "3.13.0", "3.14.1", "3.12.1")
    assert chosen.endswith("/versions/3.14.1/bin/python3")


def test_it_refuses_to_pick_a_python_older_than_3_13(tmp_path: Path) -> None:
    bin_dir, pyenv = tmp_path / "bin", tmp_path / "pyenv"
    fake_python(pyenv / "versions" / "3.12.1" / "bin" / "python3", "3.12.1")
    bin_dir.mkdir()
    done = subprocess.run(
        ["bash", "-c", f". {ROOT}/scripts/setup.sh && find_python"],
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "PYENV_ROOT": str(pyenv), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "No Python >= 3.13" in done.stderr
