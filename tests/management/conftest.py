"""The management commands' tests run against the SDK's own automation service mock on 127.0.0.1:
the fixtures are shared with tests/migration, in ``tests.support.jfrog_fixtures``."""

from __future__ import annotations

import importlib.util

from tests.support.jfrog_fixtures import cli, folder, mock, mock_server, sdk  # noqa: F401 - the fixtures

if importlib.util.find_spec("frogml") is None or importlib.util.find_spec("frogml_services_mock") is None:
    # Only the test of the command without the SDK can run (pip install .[test] installs it).
    collect_ignore = ["test_register.py", "test_rollback.py", "test_commands.py", "test_credentials.py"]
