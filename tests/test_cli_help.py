"""``frogml-airflow --help``, each command's ``--help`` and ``--version``: text a person reads first."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from frogml_airflow_provider import __version__
from frogml_airflow_provider.cli import build_parser


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (subparsers,) = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    return dict(subparsers.choices)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("frogml-airflow")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=60)


COMMANDS = sorted(_commands())


def test_every_command_is_listed_with_a_one_line_summary() -> None:
    parser = build_parser()
    (subparsers,) = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    summaries = {choice.dest: choice.help for choice in subparsers._choices_actions}
    assert set(summaries) == set(COMMANDS)
    for name, summary in summaries.items():
        assert summary and "\n" not in summary and len(summary) <= 90, name


@pytest.mark.parametrize("name", COMMANDS)
def test_each_command_help_is_plain_text_with_a_description_an_example_and_help_for_every_argument(
    name: str,
) -> None:
    command = _commands()[name]
    text = command.format_help()
    assert "`" not in text, text
    assert command.description and len(command.description.split()) >= 12, "a description in a user's terms"
    assert command.epilog and f"frogml-airflow {name}" in command.epilog, "an example to copy"
    for action in command._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help, f"{name}: {action.dest} has no help"
    for line in text.splitlines():
        assert "ToggleAutomationActivity" not in line and "RPC" not in line, line


def test_init_says_it_writes_eight_loader_files_and_the_automations_folder() -> None:
    text = _commands()["init"].format_help()
    assert "frogml_automations_00.py" in text and "8 shares" in text and "automations/" in text


def test_pause_says_what_it_does_in_a_users_terms() -> None:
    text = " ".join(_commands()["pause"].format_help().split())
    assert "no longer start on their schedule or metric" in text


def test_top_level_help_reads_cleanly_through_the_console_script() -> None:
    done = run("--help")
    assert done.returncode == 0 and done.stderr == ""
    assert "`" not in done.stdout
    for name in COMMANDS:
        assert f"    {name}" in done.stdout
    assert "frogml-airflow init $AIRFLOW_HOME/dags" in done.stdout


def test_version_prints_the_provider_and_what_it_runs_with() -> None:
    done = run("--version")
    assert done.returncode == 0, done.stderr
    from importlib.metadata import version

    assert done.stdout.strip() == (
        f"airflow-provider-frogml {__version__}, Apache Airflow {version('apache-airflow-core')}, "
        f"frogml SDK {version('frogml')}"
    )
