"""One local build, run in its own process: clone, build the model the way JFrog ML does, record.

    python -m frogml_airflow_provider.platform.local.build_runner STATE_DIR BUILD_ID [TIMEOUT_SECONDS]

Like a JFrog ML build of a frogml model: the repository is cloned (``git_uri``, ``#sub/dir``,
``git_branch``), the package ``main_dir`` is imported and its ``load_model()`` gives a
``FrogMlModel`` whose ``build()`` trains and logs metrics with ``frogml.log_metric``. The trained
model is saved with cloudpickle for the local model server. The git token arrives in the
environment, is used for the clone only, and is never written to disk or to the log.

With a timeout, the build stops itself at its deadline (its start plus the timeout: the same
deadline the operator's trigger watches), so a build nobody watches any more still ends. A model
whose ``predict`` has no ``@frogml.api()`` fails the build: it could not be served.
"""

from __future__ import annotations

import base64
import importlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from frogml_airflow_provider.platform.base import BuildState
from frogml_airflow_provider.platform.local.paths import StateDir
from frogml_airflow_provider.platform.local.store import Store

TOKEN_ENV = "FROGML_LOCAL_GIT_TOKEN"


class BuildError(Exception):
    """A build step failed for a reason the log explains."""


def run(state_dir: Path, build_id: str, timeout: float | None = None) -> int:
    state = StateDir(state_dir)
    store = Store(state)
    row = store.build_row(build_id)
    if row is None:
        print(f"unknown build {build_id} in {store.path}", file=sys.stderr)
        return 2
    spec: dict[str, Any] = json.loads(row["spec"])
    build_dir = state.build_dir(build_id)
    store.set_build(build_id, state=BuildState.RUNNING)
    if timeout is not None:
        threading.Thread(target=stop_at, args=(store, build_id, row["created"], timeout), daemon=True).start()
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


def stop_at(store: Store, build_id: str, started: float, timeout: float) -> None:
    """At the deadline: record TIMED_OUT (unless a result came first), then end this process group
    (the model's build() and a running git clone with it)."""
    time.sleep(max(0.0, started + timeout - time.time()))
    reason = f"did not finish within {timeout:g} s of its start (build_timeout); the build stopped itself"
    if store.finish_build_if_running(build_id, BuildState.TIMED_OUT, reason):
        print(f"BUILD TIMED OUT: {reason}", flush=True)
        if os.getpgid(0) == os.getpid():  # detached by the platform: the group is this build alone
            os.killpg(0, signal.SIGKILL)
        os._exit(3)


def inside(base: Path, relative: str, what: str) -> Path:
    """``base/relative``, refused when it leaves ``base`` (``..``, an absolute path, a symlink)."""
    path = base / relative
    if not path.resolve().is_relative_to(base.resolve()):
        raise BuildError(f"{what} {relative!r} points outside the repository; give a folder inside it")
    return path


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
    source = inside(target, subdir.strip("/"), "the '#sub/dir' of git_uri") if subdir else target
    if not source.is_dir():
        raise BuildError(f"the repository has no directory {subdir!r} (from '#{subdir}' in git_uri)")
    return source


def build_model(spec: dict[str, Any], source: Path, artifact: Path) -> dict[str, float]:
    main_dir = spec.get("main_dir") or "main"
    if not inside(source, main_dir, "main_dir").is_dir():
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
    check_servable(model)
    metrics = {str(k): float(v) for k, v in get_metrics().items()}
    artifact.mkdir(parents=True, exist_ok=True)
    with open(artifact / "model.pkl", "wb") as out:
        cloudpickle.dump(model, out)
    (artifact / "source_path").write_text(str(source))
    return metrics


def check_servable(model: Any) -> None:
    """What deploy will need: ``predict`` decorated with ``@frogml.api()`` (its output adapter)."""
    import inspect

    from frogml.sdk.model.tools.adapters.output import get_output_adapter

    try:
        get_output_adapter(model)
    except Exception:  # noqa: BLE001 - frogml says only "No output adapter selected"
        cls = type(model)
        try:
            where = f" ({inspect.getsourcefile(cls)}, line {inspect.getsourcelines(cls.predict)[1]})"
        except (OSError, TypeError, AttributeError):
            where = ""
        raise BuildError(
            f"{cls.__name__}.predict has no @frogml.api() decorator{where}: the model built, but it could "
            "not be served (frogml: 'No output adapter selected'). Add @frogml.api() on the line above "
            "`def predict`"
        ) from None


if __name__ == "__main__":
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] else None
    sys.exit(run(Path(sys.argv[1]), sys.argv[2], seconds))
