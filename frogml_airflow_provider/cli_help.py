"""What ``frogml-airflow --help`` and each ``frogml-airflow COMMAND --help`` say.

Kept apart from ``cli.py`` so the parser reads as a list of options. Plain text, no
reStructuredText: argparse prints it with ``RawDescriptionHelpFormatter``, so descriptions are
wrapped here (to the width argparse wraps option help to) and examples keep their lines. Every
command has a one-line summary, a description that says what it does in a user's terms, and at
least one example.
"""

from __future__ import annotations

import shutil
import textwrap
from dataclasses import dataclass

PROG = "frogml-airflow"

DESCRIPTION = """\
Run JFrog ML (formerly Qwak) automations as Airflow DAGs: set up a DAGs folder for automation
files, check and export them, and manage automations on JFrog ML."""

EPILOG = """\
getting started:
  frogml-airflow init $AIRFLOW_HOME/dags
  cp my_automations/*.py $AIRFLOW_HOME/dags/automations/
  frogml-airflow validate $AIRFLOW_HOME/dags/automations

init, validate, export and upgrade work offline and import neither Airflow nor the frogml SDK.
register, list, pause, resume, run, executions, status, migrate and pull talk to JFrog ML through
the frogml_default Airflow connection (or --conn-id, or JF_URL and JF_ACCESS_TOKEN) and need the
[frogml] extra. evaluations reads Airflow's metadata database.
Run frogml-airflow COMMAND --help for a command's options."""


@dataclass(frozen=True)
class CommandHelp:
    summary: str  # one line, in the command list of ``frogml-airflow --help``
    about: str  # the top of ``frogml-airflow COMMAND --help``: paragraphs apart by a blank line
    examples: str  # its bottom: commands to copy, one a line

    @property
    def description(self) -> str:
        return wrapped(self.about)

    @property
    def epilog(self) -> str:
        return "examples:\n" + "\n".join(f"  {line}" for line in self.examples.splitlines())


def wrapped(text: str) -> str:
    """Each paragraph of ``text`` filled to the terminal's width, as argparse fills option help."""
    width = max(min(shutil.get_terminal_size().columns, 100) - 2, 40)
    return "\n\n".join(textwrap.fill(" ".join(part.split()), width) for part in text.split("\n\n"))


COMMANDS: dict[str, CommandHelp] = {
    "init": CommandHelp(
        "set up a DAGs folder: 8 loader DAG files and an automations/ folder",
        """\
Set up an Airflow DAGs folder for automation files. Writes the loader DAG files
frogml_automations_00.py ... frogml_automations_07.py (8 shares by default, see --shares), creates
the automations/ folder beside them and adds automations/ to .airflowignore (automation files are
not DAG files). Every automation file you put in automations/ becomes DAGs, one per automation.
Running init again is safe: files it wrote are left as they are; loader files you changed are kept
unless --force.""",
        """\
frogml-airflow init $AIRFLOW_HOME/dags
frogml-airflow init $AIRFLOW_HOME/dags --shares 16    # for thousands of automations""",
    ),
    "validate": CommandHelp(
        "check automation files: every problem of every file, in one pass",
        """\
Load the automation files under PATH (a folder, searched recursively, or one file) as Airflow's
loader does, and print each automation with its DAG and schedule, then every problem, file by file,
with its line and field. Nothing is written and nothing is contacted. Given a DAGs folder set up by
init, it validates the automations/ folder the loader files read.

Exit status: 0 when every automation is valid (warnings allowed), 1 on any error, 2 when PATH is
missing.""",
        """\
frogml-airflow validate $AIRFLOW_HOME/dags/automations
frogml-airflow validate churn.py --json""",
    ),
    "export": CommandHelp(
        "write each automation in JFrog ML's own form: protobuf JSON or a frogml SDK file",
        """\
Write each automation under PATH to --out, one file per automation: its JFrog ML spec as protobuf
JSON (--format json, what JFrog ML's API takes) or as a frogml SDK automation file (--format python,
for frogml automations register -p). All or nothing: if any file has a problem, nothing is written.
Webhook URLs and header values are left out as ${FROGML_SECRET_...} references unless
--include-secrets. Paths that only exist on this machine (a local git_uri, a file:// bucket) are
named in a warning on stderr: JFrog ML cannot reach them; --strict refuses them.""",
        """\
frogml-airflow export $AIRFLOW_HOME/dags/automations --out exported/
frogml-airflow export churn.py --format python --out for_frogml/ --strict""",
    ),
    "upgrade": CommandHelp(
        "rewrite Qwak-era automation files to the frogml names (a diff; --write applies it)",
        """\
Rewrite automation files written for the Qwak SDK (from qwak.automations import QwakBuildDeploy)
to the frogml names (from frogml.core.automations import FrogmlBuildDeploy). Prints the change as
a unified diff; --write rewrites the files instead. Comments, layout and encoding are kept.""",
        """\
frogml-airflow upgrade $AIRFLOW_HOME/dags/automations             # show the diff
frogml-airflow upgrade $AIRFLOW_HOME/dags/automations --write     # rewrite the files""",
    ),
    "register": CommandHelp(
        "create or update each automation on JFrog ML: all or nothing",
        """\
Create or update on JFrog ML every automation defined under PATH. The plan (create, update with the
fields that change, unchanged) is printed first; nothing is written if any file is invalid or any
name is used twice, and a write that fails halfway is rolled back. Automations on JFrog ML that
PATH does not define are left alone.""",
        """\
frogml-airflow register $AIRFLOW_HOME/dags/automations --dry-run
frogml-airflow register $AIRFLOW_HOME/dags/automations --yes""",
    ),
    "list": CommandHelp(
        "the automations on JFrog ML: name, model, trigger, action, state",
        """\
List the automations registered on JFrog ML, one row each. Secrets are never shown: --json gives
the specs with webhook URLs and header values as <hidden>.""",
        """\
frogml-airflow list
frogml-airflow list --json --conn-id frogml_prod""",
    ),
    "pause": CommandHelp(
        "stop automations on JFrog ML from starting on their own (schedule or metric)",
        """\
Pause automations on JFrog ML: their trigger is turned off, so they no longer start on their
schedule or metric; an execution in progress is not stopped, and run still starts them by hand.
An automation already paused is left as it is. resume turns the trigger back on.""",
        "frogml-airflow pause churn_retrain nightly_scoring",
    ),
    "resume": CommandHelp(
        "let paused automations on JFrog ML start on their own again",
        """\
Resume automations paused on JFrog ML: their trigger is turned back on, so they start on their
schedule or metric again. An automation already active is left as it is.""",
        "frogml-airflow resume churn_retrain",
    ),
    "run": CommandHelp(
        "start automations on JFrog ML now, whatever their trigger",
        """\
Start an execution of each named automation on JFrog ML now, whatever its trigger, paused ones
included (their trigger stays off). Follow it with frogml-airflow executions NAME.""",
        """\
frogml-airflow run churn_retrain
frogml-airflow executions churn_retrain""",
    ),
    "executions": CommandHelp(
        "an automation's executions on JFrog ML, newest first",
        """\
Show the executions of one automation on JFrog ML, newest first: status, start and end time, and
what failed. Error details are shown without secrets.""",
        """\
frogml-airflow executions churn_retrain
frogml-airflow executions churn_retrain --limit 0 --json""",
    ),
    "status": CommandHelp(
        "where each automation runs (Airflow, JFrog ML, both, neither) and what differs",
        """\
One row per automation, from the files under PATH and from JFrog ML: where it runs now (airflow,
jfrog, both, neither), its DAG in Airflow (active or paused, last run), the automation on JFrog ML
(enabled, disabled, absent, last execution) and the spec fields that differ between the file and
JFrog ML. Where JFrog ML is not set up here (no SDK, no token), its columns say unknown, and why.

Exit status: 1 when any automation is scheduled on both sides, else 0.""",
        """\
frogml-airflow status $AIRFLOW_HOME/dags/automations
FROGML_AIRFLOW_URL=http://127.0.0.1:8080 frogml-airflow status dags/automations --json""",
    ),
    "migrate": CommandHelp(
        "hand automations over to JFrog ML (or back with --back), one at a time",
        """\
Move automations from Airflow to JFrog ML, never scheduled on both sides: the spec is registered
disabled, the DAG is paused, the hand-over is recorded in the ledger (frogml-ledger.json beside the
automation files, meant to be committed), and the automation is enabled on JFrog ML. A step that
fails undoes the ones before it. --back hands them back to Airflow.""",
        """\
frogml-airflow migrate churn_retrain --path $AIRFLOW_HOME/dags/automations --dry-run
frogml-airflow migrate churn_retrain --path $AIRFLOW_HOME/dags/automations --yes --wait
frogml-airflow migrate churn_retrain --path $AIRFLOW_HOME/dags/automations --back --yes""",
    ),
    "evaluations": CommandHelp(
        "what each metric trigger saw: value against threshold, crossings, errors",
        """\
Show what the metric triggers of metric-based automations saw: with no NAME, each one's last
evaluation; with NAME, that automation's history (value against threshold over time, crossings
marked, failed queries said), newest last. Read from Airflow's metadata database, so run it where
Airflow is configured; it runs no automation file.""",
        """\
frogml-airflow evaluations
frogml-airflow evaluations retrain_iris_on_errors --limit 50""",
    ),
    "pull": CommandHelp(
        "write automations registered on JFrog ML as automation files",
        """\
Write automations registered on JFrog ML as frogml automation files in --out, one per automation:
they load unchanged here and with frogml automations register -p. Webhook URLs and header values
become os.environ["FROGML_SECRET_..."] references; the command names the variables to set.
Existing files are kept unless --overwrite.""",
        """\
frogml-airflow pull --out $AIRFLOW_HOME/dags/automations
frogml-airflow pull churn_retrain --out pulled/ --overwrite""",
    ),
}
