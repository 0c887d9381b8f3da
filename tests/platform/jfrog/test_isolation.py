"""What a worker sees before the first call: nothing imported, nothing read, nothing written; and a
worker without the SDK, or whose HOME is read-only, still gets a clear answer or a working backend.
Each case runs in a fresh interpreter."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.support import run_python
from tests.support.jfrog import MODEL, connection

WITHOUT_SDK = """
import importlib.abc, json, sys

class NoSdk(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in {"frogml", "grpc", "frogml_services_mock"}:
            raise ImportError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, NoSdk())
from frogml_airflow_provider.platform.jfrog import JFrogMLPlatform
from frogml_airflow_provider.platform.base import PlatformError

platform = JFrogMLPlatform(conn_id="no_such_connection", url="https://acme.jfrog.io")
after_init = sorted(m for m in sys.modules if m.split(".")[0] in {"frogml", "grpc", "airflow"})
try:
    platform.get_build("b-1")
    error = None
except PlatformError as caught:
    error = str(caught)
print(json.dumps({"after_init": after_init, "error": error, "locator": platform.locator()}))
"""

READ_ONLY_HOME = """
import json, os, sys
from frogml_airflow_provider.platform.jfrog import JFrogMLPlatform

build = JFrogMLPlatform().get_build(sys.argv[1], log_tail=False)
home = os.environ["HOME"]
print(json.dumps({"state": build.state.value, "model": build.model_id, "home": home,
                  "frogml_dir": os.path.isdir(os.path.join(home, ".frogml"))}))
"""


def last_json(stdout: str) -> dict[str, object]:
    return json.loads(stdout.strip().splitlines()[-1])


def test_without_the_sdk_the_package_imports_and_a_call_says_what_to_install(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    result = last_json(run_python(WITHOUT_SDK, home=home, cwd=tmp_path))
    assert result["after_init"] == []  # neither the SDK, nor grpc, nor even Airflow: no I/O in __init__
    assert result["locator"] == {"kind": "jfrog", "conn_id": "no_such_connection", "url": "https://acme.jfrog.io"}
    assert "needs the frogml SDK" in str(result["error"])
    assert "install airflow-provider-frogml[frogml]" in str(result["error"])
    assert list(home.iterdir()) == []


def broken_home(kind: str, tmp_path: Path) -> Path:
    """A HOME under which ``.frogml`` cannot be created."""
    if kind == "a file":
        home = tmp_path / "home-is-a-file"
        home.write_text("")
    elif kind == "holding a file named .frogml":
        home = tmp_path / "home"
        home.mkdir()
        (home / ".frogml").write_text("")
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes into read-only folders")
        home = tmp_path / "read-only-home"
        home.mkdir()
        home.chmod(0o500)
    return home


@pytest.mark.sdk
@pytest.mark.parametrize("kind", ["a file", "holding a file named .frogml", "read-only"])
def test_a_home_the_sdk_cannot_write_does_not_stop_the_backend(
    kind: str, control_plane, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    control_plane.given_build("b-ro", "SUCCESSFUL")
    monkeypatch.setenv("AIRFLOW_CONN_FROGML_DEFAULT", connection(control_plane.port))
    home = broken_home(kind, tmp_path)
    before = sorted(home.iterdir()) if home.is_dir() else home.read_text()
    try:
        result = last_json(run_python(READ_ONLY_HOME, "b-ro", home=home, cwd=tmp_path))
    finally:
        home.chmod(0o700)
    assert (result["state"], result["model"]) == ("SUCCESSFUL", MODEL)
    assert result["home"] != str(home) and result["frogml_dir"] is True  # a private HOME, used by the SDK
    assert (sorted(home.iterdir()) if home.is_dir() else home.read_text()) == before  # nothing written


KEEPS_LOGGING = """
import json, logging, sys
handler = logging.FileHandler(sys.argv[1])
logging.getLogger().addHandler(handler)
from frogml_airflow_provider.platform.jfrog import _sdk

_sdk.load()
logging.getLogger("frogml.storage.logging._log_config").warning("from the sdk")
print(json.dumps({"open": handler.stream is not None and not handler.stream.closed,
                  "handlers": len(logging.getLogger().handlers)}))
"""


@pytest.mark.sdk
def test_importing_the_sdk_leaves_the_workers_log_handlers_alone(tmp_path: Path) -> None:
    home, log = tmp_path / "home", tmp_path / "task.log"
    home.mkdir()
    result = last_json(run_python(KEEPS_LOGGING, str(log), home=home, cwd=tmp_path))
    assert result == {"open": True, "handlers": 1}
    assert "from the sdk" in log.read_text()  # the SDK's records reach the worker's handlers
    assert not (home / ".frogml" / "frogml-log-history.log").exists()


def test_home_checks(tmp_path: Path) -> None:
    from frogml_airflow_provider.platform.jfrog._sdk import home_is_usable

    assert home_is_usable(str(tmp_path)) and not (tmp_path / ".frogml").exists()  # checked, not created
    (tmp_path / ".frogml").write_text("")  # .frogml that is a file: the SDK's makedirs would fail
    assert not home_is_usable(str(tmp_path))
    file = tmp_path / "file"
    file.write_text("")
    assert not home_is_usable(str(file))
