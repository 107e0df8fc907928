"""`node server.mjs --port P --deployment NAME:KEY` prints one JSON line, then serves."""

from __future__ import annotations

import json
import subprocess

import httpx

from tests.fixtures.canary import assert_no_canary, self_hosted_key
from tests.fixtures.emulator import EMULATOR_DIR, SERVER, start_emulator


def test_it_starts_named_deployments_from_the_command_line():
    emulator = start_emulator(("alpha", "alpha|0a0a"), ("beta", "prod:beta|tok:en"))
    try:
        listed = {d["name"]: d["url"] for d in emulator.deployments()}
        assert set(listed) == {"alpha", "beta"}
        assert listed["alpha"] != listed["beta"]
        with httpx.Client(timeout=10) as client:
            ok = client.get(
                listed["beta"] + "/api/check_admin_key",
                headers={"Authorization": "Convex prod:beta|tok:en"},
            )
            assert ok.status_code == 200
            assert client.get(listed["alpha"] + "/instance_name").text == "alpha"
    finally:
        emulator.stop()
    assert emulator.process.returncode == 0


def test_its_startup_line_names_each_deployment_url_and_no_key():
    process = subprocess.Popen(
        ["node", str(SERVER), "--port", "0", "--deployment", f"solo:{self_hosted_key('solo')}"],
        cwd=EMULATOR_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        started = json.loads(line)
        assert started["deployments"]["solo"]["url"].startswith("http://127.0.0.1:")
        assert started["url"].startswith("http://127.0.0.1:")
        assert_no_canary(line)
    finally:
        process.terminate()
        process.communicate(timeout=10)
    assert process.returncode == 0
