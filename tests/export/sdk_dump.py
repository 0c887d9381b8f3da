"""Run by the tests in a subprocess (HOME set to a throw-away folder: the SDK writes ``~/.frogml``).

Reads a request (JSON) on stdin and prints, as JSON, ``MessageToDict`` and ``MessageToJson`` of
``to_proto().automation_spec`` of every automation that the real frogml SDK builds:

- ``sources``: ``{label: automation file source}``, executed with the SDK's classes;
- ``folders``: ``{label: folder}``, loaded like ``frogml automations register -p FOLDER`` does
  (every ``*.py``, module named after the file, its folder on ``sys.path``, top-level
  ``Automation`` objects), with ``env`` added to ``os.environ``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any


def dump(automation: Any) -> dict[str, Any]:
    from google.protobuf.json_format import MessageToDict, MessageToJson

    spec = automation.to_proto().automation_spec
    return {"dict": MessageToDict(spec), "json": MessageToJson(spec)}


def collect(namespace: dict[str, Any]) -> dict[str, Any]:
    from frogml.core.automations import Automation

    return {value.name: dump(value) for value in namespace.values() if isinstance(value, Automation)}


def load_folder(folder: Path) -> dict[str, Any]:
    found: dict[str, Any] = {}
    sys.path.append(str(folder))
    for path in sorted(folder.glob("**/*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name, item in collect(vars(module)).items():
            found[name] = {**item, "file": path.name}
    sys.path.remove(str(folder))
    return found


def main() -> None:
    request = json.loads(sys.stdin.read())
    os.environ.update(request.get("env", {}))
    result: dict[str, Any] = {"sources": {}, "folders": {}}
    for label, source in request.get("sources", {}).items():
        namespace: dict[str, Any] = {}
        exec(compile(source, f"<{label}>", "exec"), namespace)
        result["sources"][label] = collect(namespace)
    for label, folder in request.get("folders", {}).items():
        result["folders"][label] = load_folder(Path(folder))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
