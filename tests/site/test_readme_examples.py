"""The README's emulator examples work exactly as written: the emulator command starts with
its key, the run command's allow-list reaches the app, and the app accepts that key."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from byod.inputs import parse_deploy_key, parse_url
from byod.services import connections

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
EMULATOR_DIR = ROOT / "tests" / "emulator"

pytestmark = [pytest.mark.django_db]


def sh_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README, re.S)


def readme_line(starts: str) -> str:
    lines = [ln for block in sh_blocks() for ln in block.splitlines() if ln.startswith(starts)]
    assert len(lines) == 1, f"the README should have one `{starts}` example: {lines}"
    return lines[0]


def readme_key() -> str:
    # The key the README tells users to paste, in `backticks`.
    match = re.search(r"and the key `([^`]+)`", README)
    assert match, "the README names the key to paste"
    return match.group(1)


@pytest.fixture
def readme_emulator() -> Iterator[dict[str, Any]]:
    """The README's `node server.mjs ...` line, run by a shell in tests/emulator as written."""
    line = readme_line("node server.mjs")
    process = subprocess.Popen(
        ["bash", "-c", f"exec {line}"],
        cwd=EMULATOR_DIR,
        env={**os.environ, "CONVEX_EMULATOR_EXIT_ON_STDIN_CLOSE": "1"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        if not first:
            pytest.fail(f"the README's emulator command failed: {process.communicate()[1][-2000:]}")
        yield json.loads(first)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.communicate(timeout=15)


def test_the_readme_key_is_a_valid_self_hosted_key(settings: Any) -> None:
    settings.BYOD_ALLOWED_HOSTS = ["http://127.0.0.1:*"]
    key = parse_deploy_key(readme_key(), parse_url("http://127.0.0.1:3211"))
    assert key.kind == "self_hosted" and key.deployment_name == "demo"
    # The emulator command and the CLI example use the same key.
    assert f"demo:'{readme_key()}'" in readme_line("node server.mjs")
    assert f"--admin-key '{readme_key()}'" in README


def test_the_run_command_passes_the_allow_list_to_the_app() -> None:
    line = readme_line("BYOD_ALLOWED_HOSTS=")
    assert shlex.split(line)[-1] == "scripts/run"
    # What the shell hands to scripts/run, as written (quoting included):
    shown = subprocess.run(
        ["bash", "-c", line.replace("scripts/run", "printenv BYOD_ALLOWED_HOSTS")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert shown == "http://127.0.0.1:*"


@pytest.mark.slow
def test_the_app_connects_to_the_readme_emulator_with_the_readme_key(
    settings: Any, readme_emulator: dict[str, Any]
) -> None:
    line = readme_line("BYOD_ALLOWED_HOSTS=")
    value = shlex.split(line)[0].split("=", 1)[1]
    settings.BYOD_ALLOWED_HOSTS = value.split(",")
    url = readme_emulator["deployments"]["demo"]["url"]
    checked = connections.check_credentials(url, readme_key())
    assert checked.ok, checked.message
    assert checked.deployment_name == "demo"
