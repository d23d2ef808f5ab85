#!/usr/bin/env bash
# Usage: scripts/python-venv.sh NAME
# Creates (once) the project-local virtualenv .venv/NAME with the pinned packages of
# scripts/requirements-NAME.txt, and prints its bin directory. Idempotent: reinstalls
# only when the requirements file changed. Needs Python 3.10+ (set PYTHON to choose one).
set -euo pipefail
name="${1:?usage: python-venv.sh NAME (tools | emulator)}"
root="$(cd "$(dirname "$0")/.." && pwd)"
requirements="$root/scripts/requirements-$name.txt"
venv="$root/.venv/$name"
python="${PYTHON:-python3}"

[ -f "$requirements" ] || { echo "sagebatch: no $requirements" >&2; exit 1; }
if ! command -v "$python" >/dev/null 2>&1 || ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
  echo "sagebatch: Python 3.10 or newer is required (found: $("$python" --version 2>&1 || echo none)); set PYTHON=/path/to/python3.x" >&2
  exit 1
fi
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$python" -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2
  echo "$want" > "$stamp"
fi
echo "$venv/bin"
