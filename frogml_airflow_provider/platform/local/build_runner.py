"""One local build, run in its own process: clone, build the model the way JFrog ML does, record.

    python -m frogml_airflow_provider.platform.local.build_runner STATE_DIR BUILD_ID

Like a JFrog ML build of a frogml model: the repository is cloned (``git_uri``, ``#sub/dir``,
``git_branch``), the package ``main_dir`` is imported and its ``load_model()`` gives a
``FrogMlModel`` whose ``build()`` trains and logs metrics with ``frogml.log_metric``. The trained
model is saved with cloudpickle for the local model server. The git token arrives in the
environment, is used for the clone only, and is never written to disk or to the log.
"""

from __future__ import annotations

import base64
import importlib
import json
import os
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any

from frogml_airflow_provider.platform.base import BuildState
from frogml_airflow_provider.platform.local.store import Store

TOKEN_ENV = "FROGML_LOCAL_GIT_TOKEN"


class BuildError(Exception):
    """A build step failed for a reason the log explains."""


def run(state_dir: Path, build_id: str) -> int:
    store = Store(state_dir)
    row = store.build_row(build_id)
    if row is None:
        print(f"unknown build {build_id}", file=sys.stderr)
        return 2
    spec: dict[str, Any] = json.loads(row["spec"])
    build_dir = state_dir / "builds" / build_id
    store.set_build(build_id, state=BuildState.RUNNING)
    try:
        source = clone(spec, build_dir / "src", os.environ.pop(TOKEN_ENV, None))
        metrics = build_model(spec, source, build_dir / "artifact")
    except Exception as error:  # noqa: BLE001 - any failure of the model's build fails the build
        message = str(error) if isinstance(error, BuildError) else f"{type(error).__name__}: {error}"
        if not isinstance(error, BuildError):
            traceback.print_exc()
        print(f"BUILD FAILED: {message}", flush=True)
        store.finish_build_if_running(build_id, BuildState.FAILED, message)
        return 1
    store.set_build(build_id, metrics=metrics)
    if store.finish_build_if_running(build_id, BuildState.SUCCESSFUL, ""):
        print(f"BUILD SUCCESSFUL: metrics {json.dumps(metrics, sort_keys=True)}", flush=True)
    return 0


def clone(spec: dict[str, Any], target: Path, token: str | None) -> Path:
    uri, _, subdir = str(spec["git_uri"]).partition("#")
    if "://" not in uri and Path(uri).expanduser().exists():
        uri = Path(uri).expanduser().resolve().as_uri()
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    if token:
        # As an HTTP header set through the environment: not in argv, not in .git/config.
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        env.update(
            {
                "GIT_CONFIG_COUNT": "1",
                "GIT_CONFIG_KEY_0": "http.extraHeader",
                "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}",
            }
        )
    branch = spec.get("git_branch") or "main"
    print(f"cloning {uri.split('@')[-1]} (branch {branch})", flush=True)
    done = subprocess.run(
        ["git", "clone", "--quiet", "--depth", "1", "--branch", branch, uri, str(target)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().replace(token or "\0", "***")
        raise BuildError(f"git clone of branch {branch!r} failed: {detail}")
    source = target / subdir.strip("/") if subdir else target
    if not source.is_dir():
        raise BuildError(f"the repository has no directory {subdir!r} (from '#{subdir}' in git_uri)")
    return source


def build_model(spec: dict[str, Any], source: Path, artifact: Path) -> dict[str, float]:
    main_dir = spec.get("main_dir") or "main"
    if not (source / main_dir).is_dir():
        raise BuildError(f"no main_dir {main_dir!r} in the repository (looked in {source.name}/{main_dir})")
    for item in spec.get("env_vars") or []:
        key, _, value = item.partition("=")
        os.environ[key] = value
    try:
        import cloudpickle
        import frogml
        import frogml.sdk.model.tools  # wires frogml's local runtime, so @frogml.api() works
        from frogml.sdk.model.model_version_tracking import get_metrics
    except ImportError as error:
        raise BuildError(
            f"the local platform builds frogml models and needs the frogml SDK ({error}); "
            "install airflow-provider-frogml[local]"
        ) from None
    frogml.log_param(dict(spec.get("parameters") or {}))
    sys.path.insert(0, str(source))
    package = importlib.import_module(main_dir)
    if not hasattr(package, "load_model"):
        raise BuildError(f"{main_dir}/__init__.py must define load_model() returning the FrogMlModel")
    model = package.load_model()
    if not isinstance(model, frogml.FrogMlModel):
        raise BuildError(f"load_model() returned a {type(model).__name__}, not a frogml FrogMlModel")
    print(f"building {type(model).__name__}", flush=True)
    model.build()
    metrics = {str(k): float(v) for k, v in get_metrics().items()}
    artifact.mkdir(parents=True, exist_ok=True)
    with open(artifact / "model.pkl", "wb") as out:
        cloudpickle.dump(model, out)
    (artifact / "source_path").write_text(str(source))
    return metrics


if __name__ == "__main__":
    sys.exit(run(Path(sys.argv[1]), sys.argv[2]))
