#!/usr/bin/env bash
# Refreshes the screenshots in docs/ (dag-graph.png, the README's; tab-*.png, docs/ui.md's): runs
# the browser test (Airflow standalone, headless Chromium) with its screenshots going to docs/. The
# tests themselves write screenshots to a temporary folder and leave the checkout as it was.
set -euo pipefail
source "$(dirname "$0")/_env.sh" test
cd "$ROOT"
FROGML_SCREENSHOTS="$ROOT/docs" python -m pytest -q -p no:cacheprovider tests/browser/test_ui.py "$@"
git status --short docs/
