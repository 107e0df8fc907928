"""The README's "Try the content page locally", run as written in a copy of the repository:
the emulator started in the background, the main deployment configured and registered with
`byod_main_deployment`, `scripts/run` serving; then, as a person would, sign up, open
/content/ once the worker has deployed our package there, and start a conversation.

Two substitutions, and only these: a free port instead of 8000 (the README's address), and the
copy's `.venv` is the installed one, linked entry by entry with its own install stamp, so
`scripts/run` finds nothing to install (it would otherwise install this copy into it)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.content_page.helpers import op_of
from tests.fixtures.readme import copy_tracked_files, shell_block
from tests.fixtures.waiting import wait_for
from tests.site.test_run_command import free_port

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
NODE_PROJECTS = ("tests/emulator", "byod/convex_project")

pytestmark = [pytest.mark.slow]


def readme_commands() -> str:
    start = README.index("## Try the content page locally")
    section = README[start : README.index("\n## ", start + 1)]
    return shell_block(section)


def copy_of_the_repository(into: Path) -> Path:
    repo = copy_tracked_files(into)
    venv = (ROOT / ".venv").resolve()
    (repo / ".venv").mkdir()
    for entry in venv.iterdir():
        if entry.name != ".installed":
            (repo / ".venv" / entry.name).symlink_to(entry)
    stamp = hashlib.sha256((repo / "pyproject.toml").read_bytes()).hexdigest()
    (repo / ".venv" / ".installed").write_text(stamp + "\n")
    for project in NODE_PROJECTS:
        (repo / project / "node_modules").symlink_to((ROOT / project / "node_modules").resolve())
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    return repo


def test_the_readme_tries_the_content_page_as_written(tmp_path: Path) -> None:
    repo = copy_of_the_repository(tmp_path)
    port = free_port()
    script = readme_commands().replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    script = script.replace("scripts/run &", f"scripts/run 127.0.0.1:{port} &")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BYOD_"))}
    log = (tmp_path / "run.log").open("w")
    shell = subprocess.Popen(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=repo,
        env=environ,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        assert shell.wait(timeout=600) == 0, (tmp_path / "run.log").read_text()[-4000:]
        assert "Main deployment registered or updated." in (tmp_path / "run.log").read_text()
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as browser:
            signup = browser.get("/accounts/signup/").text
            browser.post(
                "/accounts/signup/",
                data={
                    "csrfmiddlewaretoken": token(signup),
                    "username": "reader",
                    "email": "reader@example.com",
                    "password1": "a long and quiet river 71",
                    "password2": "a long and quiet river 71",
                },
            )

            def content_page() -> str | None:
                page = browser.get("/content/").text
                return page if "No conversations yet" in page else None

            page = wait_for(content_page, timeout=180, what="the main deployment deployed")
            made = browser.post(
                "/content/new/",
                data={
                    "csrfmiddlewaretoken": token(page),
                    "op": op_of(page, "new-conversation"),
                    "title": "Tried from the README",
                    "content": "It works.",
                },
            )
            assert "Conversation started." in made.text and "It works." in made.text
            assert "Tried from the README" in browser.get("/content/").text
    finally:
        # The README's background jobs (the emulator, scripts/run) are in the shell's group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(shell.pid, signal.SIGTERM)
        shell.wait(timeout=30)
        log.close()


def token(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert found, "a CSRF token on the page"
    return found.group(1)
