#!/usr/bin/env bash
# Creates (once) the project-local virtualenv .venv/tools with the pinned Python tools the
# tests use (cfn-lint), and prints its bin directory. Idempotent: reinstalls only when the
# requirements file changed. Needs Python 3.10+.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
requirements="$root/scripts/requirements-tools.txt"
venv="$root/.venv/tools"
python="${PYTHON:-python3}"

if ! command -v "$python" >/dev/null 2>&1 || ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
  echo "sagebatch: Python 3.10 or newer is required (set PYTHON=/path/to/python3.x)" >&2
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
