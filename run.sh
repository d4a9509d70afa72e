#!/usr/bin/env bash
# Set up .venv if needed, then start the teaching studio (Streamlit) on http://localhost:8501
# Extra arguments go to streamlit, e.g.  ./run.sh --server.port 8600 --server.address 0.0.0.0
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
exec .venv/bin/python -m streamlit run app.py "$@"
