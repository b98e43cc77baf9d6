#!/usr/bin/env bash
# Prints the path of a working moto_server: from PATH, else from .venv, else
# installs "moto[server]" into .venv with pip. Fails with a clear message.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if command -v moto_server >/dev/null 2>&1 && moto_server --help >/dev/null 2>&1; then
  command -v moto_server
  exit 0
fi
if [ -x "$root/.venv/bin/moto_server" ]; then
  echo "$root/.venv/bin/moto_server"
  exit 0
fi
py="$(command -v python3 || true)"
if [ -z "$py" ]; then
  echo "error: moto_server is not on PATH and python3 is missing; install Python 3 and run: pip install 'moto[server]'" >&2
  exit 1
fi
echo "moto_server not found; installing moto[server] into .venv ..." >&2
"$py" -m venv "$root/.venv" >&2 || {
  echo "error: could not create .venv with $py -m venv (install python3-venv)" >&2
  exit 1
}
"$root/.venv/bin/pip" install --quiet "moto[server]>=5,<6" >&2 || {
  echo "error: pip install 'moto[server]' into .venv failed; install moto yourself and put moto_server on PATH" >&2
  exit 1
}
echo "$root/.venv/bin/moto_server"
