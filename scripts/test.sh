#!/usr/bin/env bash
# The test command: installs what it needs into .venv, then lint, types and the whole test suite.
set -euo pipefail
source "$(dirname "$0")/_env.sh" test
cd "$ROOT"
ruff check .
ruff format --check .
mypy
python -m pytest "$@"
