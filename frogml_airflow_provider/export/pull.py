"""Registered native automations -> automation files, for ``frogml-airflow pull``. Pure.

Each native automation (``from_native``: a spec's protobuf-JSON, or the envelope that JFrog ML's
ListAutomations returns) becomes ``<automation name>.py`` in the frogml format, written by
``export``'s own Python writer: it loads unchanged through this provider's loader and through
``frogml automations register -p``, and exporting it gives back the spec JFrog ML holds.

Secrets (Slack webhook URLs, webhook URLs, header values) are never written: each becomes
``os.environ["FROGML_SECRET_<AUTOMATION>_<FIELD>"]``, named as ``export`` names them, and listed in
the report (names only). Platform state (the id, the environment, the audit) is not written
either: it is the platform's, and ``register`` finds an automation by its name.

The caller (the CLI) fetches the natives and chooses which to pull; this module only reads,
writes and reports. An automation that cannot be pulled is reported with its reason and the
others are still written; nothing is written when two would share a file, or when a file
exists already (unless ``overwrite``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from frogml_airflow_provider.automations import Automation
from frogml_airflow_provider.automations.common import validation_after_loading
from frogml_airflow_provider.export.files import (  # export's own naming rules, shared on purpose
    ExportedFile,
    ExportedSecret,
    ExportError,
    _refuse_clashes,
    _SecretNames,
    file_stem,
    python_source,
    write_files,
)
from frogml_airflow_provider.export.from_native import PullError, automation_from_native
from frogml_airflow_provider.export.native import secret_fields

# Platform state, as the SDK's ``from_proto`` fills it: not part of what a file registers.
_PLATFORM_FIELDS = {"id": "", "environment": "", "is_deleted": False, "jfrog_token_id": "", "platform_url": ""}


@dataclass(frozen=True)
class PulledAutomation:
    automation: str
    automation_id: str  # "" when the native had no envelope
    file: ExportedFile  # file.name: relative to the output folder; file.secrets: paths and variables only
    notes: tuple[str, ...]  # what a reader should know (e.g. a description the SDK never sends)


@dataclass(frozen=True)
class PullReport:
    out: Path
    pulled: tuple[PulledAutomation, ...]
    written: tuple[Path, ...]
    errors: tuple[PullError, ...]  # automations that could not be pulled; nothing written for them

    @property
    def variables(self) -> list[str]:
        """Every environment variable the written files read, in file order."""
        return [s.variable for p in self.pulled for s in p.file.secrets if s.variable]

    @property
    def ok(self) -> bool:
        return not self.errors


def pull_sources(natives: list[dict[str, Any]]) -> tuple[list[PulledAutomation], list[PullError]]:
    """The files of ``natives``, in memory, and the automations that cannot be pulled."""
    names = _SecretNames()
    pulled: list[PulledAutomation] = []
    errors: list[PullError] = []
    for index, native in enumerate(natives):
        try:
            read = automation_from_native(native, label=f"#{index + 1} of the list")
        except PullError as error:
            errors.append(error)
            continue
        automation = _without_platform_state(read.automation)
        variables = names.assign(automation)
        origin = "pulled from JFrog ML by `frogml-airflow pull`"
        if read.automation_id:
            origin += f" (id {read.automation_id})"
        text = python_source(automation, variables, origin=origin)
        secrets = tuple(ExportedSecret(field.path, variables.get(field)) for field, _ in secret_fields(automation))
        source = f"JFrog ML id {read.automation_id}" if read.automation_id else "JFrog ML"
        file = ExportedFile(automation.name, source, f"{file_stem(automation.name, 'python')}.py", text, secrets)
        pulled.append(PulledAutomation(automation.name, read.automation_id, file, read.notes))
    return pulled, errors


def pull_files(natives: list[dict[str, Any]], out_dir: str | Path, *, overwrite: bool = False) -> PullReport:
    """Write one automation file per native automation into ``out_dir``; see the module's docs.

    Raises ``ExportError`` (nothing written) when two automations would share a file, or when a
    file exists already and ``overwrite`` is false."""
    out = Path(out_dir)
    pulled, errors = pull_sources(natives)
    _refuse_clashes([p.file for p in pulled])
    existing = sorted(p.file.name for p in pulled if (out / p.file.name).exists())
    if existing and not overwrite:
        raise ExportError(
            f"{out} already holds {', '.join(existing)}; nothing was written. Pull into another folder, "
            "or overwrite them (the CLI's --overwrite)"
        )
    written = write_files([p.file for p in pulled], out) if pulled else []
    return PullReport(out, tuple(pulled), tuple(written), tuple(errors))


def _without_platform_state(automation: Automation) -> Automation:
    with validation_after_loading():  # validated already, when it was read
        return dataclasses.replace(automation, **_PLATFORM_FIELDS)  # type: ignore[arg-type]
