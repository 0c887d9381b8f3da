#!/usr/bin/env bash
# The test command: installs what it needs into .venv, then lint, types and the whole test suite.
set -euo pipefail
source "$(dirname "$0")/_env.sh" test
cd "$ROOT"
# The browser test drives Debian's Chromium through its chromedriver (no browser download).
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "note: install Debian's chromium and chromium-driver for the browser test" >&2
  fi
fi
# The distributed test starts its own PostgreSQL and Redis from Debian's packages.
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || ! command -v redis-server >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql redis-server >/dev/null
  else
    echo "note: install Debian's postgresql and redis-server for the distributed test" >&2
  fi
fi
ruff check .
ruff format --check .
mypy
python -m pytest "$@"
