#!/usr/bin/env bash
# Set up .venv if needed, install Chromium for the browser tests when missing (Debian, as root), run every test.
# Extra arguments go to pytest, e.g.  ./test.sh -k optimize
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[test] installing Debian's chromium for the browser tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null
  else
    echo "[test] /usr/bin/chromium is missing: the browser tests will be skipped (sudo apt-get install chromium)"
  fi
fi
exec .venv/bin/python -m pytest tests -q "$@"
