"""What the commands share for their reports: a progress bar redrawn in place, text cut at a
word, log lines held until the report is written."""

from __future__ import annotations

import logging
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.core.management.base import OutputWrapper

from byod.management.reporting import ProgressBar, logs_held, shorten, table
from byod.models import Connection, Deployment
from tests.fixtures.emulator import EmulatorDeployment


class Terminal(StringIO):
    def isatty(self) -> bool:
        return True

    def screen(self) -> str:
        """The last line as a terminal shows it: each carriage return draws over the line."""
        shown = ""
        for part in self.getvalue().split("\n")[-2].split("\r"):
            shown = part + shown[len(part) :]
        return shown


def test_the_bar_leaves_no_stray_character_when_its_line_gets_shorter() -> None:
    term = Terminal()
    bar = ProgressBar(OutputWrapper(term), 10)
    bar.show(3, "2 succeeded, 0 failed, 12 running; wave 1 of 2, running")
    bar.show(10, "10 succeeded, 0 failed, 0 running; wave 2 of 2, completed")
    bar.show(10, "done")
    bar.finish()
    assert term.screen().rstrip() == "[" + "#" * 30 + "] 10/10 done, done"


def test_long_text_is_cut_at_a_word_not_inside_one() -> None:
    advice = "Create a new deploy key in the Convex dashboard and save it on the settings page."
    cut = shorten(advice, 40)
    assert cut == "Create a new deploy key in the Convex…"
    assert len(cut) <= 40 and advice.startswith(cut[:-1])
    assert shorten("short", 40) == "short"
    assert shorten("one   line\nonly", 40) == "one line only"
    assert table([("what to do",), (cut,)])[1] == cut


def test_log_lines_wait_until_the_report_is_written() -> None:
    out = StringIO()
    with logs_held(OutputWrapper(out)):
        logging.getLogger("byod.test").info("dropped: the report says what happened")
        logging.getLogger("byod.test").warning("kept for after the report")
        out.write("the report\n")
    assert out.getvalue() == (
        "the report\nLogged during the run (1):\n  WARNING byod.test: kept for after the report\n"
    )


@pytest.mark.django_db
def test_byod_deploy_writes_no_log_line_into_its_report(
    connected: tuple[Connection, Deployment],
    canary_deployment: EmulatorDeployment,
    caplog: pytest.LogCaptureFixture,
) -> None:
    canary_deployment.set_fault("*", revoked_key=True)
    caplog.set_level(logging.INFO)
    both = StringIO()  # stdout and stderr in the order they were written
    with pytest.raises(CommandError):
        call_command("byod_deploy", "--all", "--concurrency", "1", stdout=both, stderr=both)
    assert not [r for r in caplog.records if r.name.startswith("byod.")], "no line in between"
    report = both.getvalue()
    assert "bad_credentials" in report and " failed: start_push" not in report


def test_in_a_log_the_bar_never_writes_the_same_line_twice() -> None:
    out = StringIO()  # not a terminal
    bar = ProgressBar(OutputWrapper(out), 100)
    for done in (5, 12, 13, 100):
        bar.show(done, "copying")
    for _ in range(27):  # a save per table while verifying: one line says it
        bar.show(100, "verifying")
    bar.show(100, "done")
    lines = out.getvalue().splitlines()
    assert [line.split("] ")[1] for line in lines] == [
        "0/100 done",
        "12/100 done, copying",
        "100/100 done, copying",
        "100/100 done, verifying",
        "100/100 done, done",
    ]
