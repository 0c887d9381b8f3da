"""Values in a spec that only this machine can reach, for ``frogml-airflow export``. Pure.

The local platform builds from a git repository on disk (a path, ``file://``) and reads and
writes batch buckets that are folders (an absolute path, ``file://``): fine here, but JFrog ML
runs the exported spec on its own machines, where those paths do not exist. An export names
each one (automation, field, value) so that a spec is not registered with a path that fails
only when it first runs there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from frogml_airflow_provider.automations import Automation, BatchExecution, FrogmlBuildDeploy
from frogml_airflow_provider.automations._checks import has_credentials

# A URL of a scheme other than file (https://, ssh://, git://), or git's scp-like ``[user@]host:path``
# (a host name of two letters or more: ``C:\repo`` is a Windows drive, a local path).
_REMOTE_GIT = re.compile(r"^(?!file:)[a-z][a-z0-9+.-]*://[^/]|^(?:[\w.+-]+@)?[\w-][\w.-]+:(?!//)", re.IGNORECASE)


@dataclass(frozen=True)
class LocalPath:
    automation: str
    field: str  # "action.build_spec.git_uri"
    value: str  # as written, credentials masked
    why: str

    def __str__(self) -> str:
        return f"automation {self.automation!r}: {self.field} = {self.value!r} {self.why}"


def machine_local_paths(automation: Automation) -> list[LocalPath]:
    """Every field of ``automation`` that names a place on this machine, in field order."""
    found: list[LocalPath] = []
    action = automation.action
    if isinstance(action, FrogmlBuildDeploy) and action.build_spec is not None:
        uri = action.build_spec.git_uri
        if isinstance(uri, str) and not _REMOTE_GIT.match(uri.strip()):
            found.append(
                LocalPath(
                    automation.name,
                    "action.build_spec.git_uri",
                    _shown(uri),
                    "is a repository on this machine; JFrog ML clones git_uri on its own machines: "
                    "give a URL it can reach (https://host/org/repo.git)",
                )
            )
    if isinstance(action, BatchExecution) and action.data_specifications is not None:
        for name in ("source_bucket", "destination_bucket"):
            bucket = getattr(action.data_specifications, name)
            if isinstance(bucket, str) and _is_local_folder(bucket.strip()):
                found.append(
                    LocalPath(
                        automation.name,
                        f"action.data_specifications.{name}",
                        _shown(bucket),
                        "is a folder on this machine; JFrog ML reads and writes buckets of object storage: "
                        "give a bucket name",
                    )
                )
    return found


def _is_local_folder(bucket: str) -> bool:
    return (
        bucket.lower().startswith("file:")
        or bucket.startswith(("/", "~", "./", "../", "\\"))
        or bool(re.match(r"^[a-z]:[\\/]", bucket, re.IGNORECASE))
    )


def _shown(value: str) -> str:
    """``value`` with any credentials in it replaced: a warning is printed, and may be logged."""
    if not has_credentials(value):
        return value
    parts = urlsplit(value)
    return urlunsplit(parts._replace(netloc="<credentials>@" + parts.netloc.rsplit("@", 1)[1]))
