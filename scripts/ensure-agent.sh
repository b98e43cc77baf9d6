#!/usr/bin/env bash
# Prints the path of AWS's Secrets Manager Agent, the performance peer of `make bench`,
# building the pinned version from crates.io with cargo into the repository's ignored cache
# (.cache/agent) on first use: about 10 minutes once on 2 cores.
# Exits 2 with a message naming what is missing when it cannot.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version=2.1.0
bin="$root/.cache/agent/bin/aws_secretsmanager_agent"
stamp="$root/.cache/agent/version"
if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then
  echo "$bin"
  exit 0
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is not installed: it builds AWS's Secrets Manager Agent $version, the bench's peer" >&2
  exit 2
fi
echo "building aws_secretsmanager_agent $version with cargo (about 10 minutes, once) ..." >&2
cargo install aws_secretsmanager_agent --version "$version" --locked --root "$root/.cache/agent" >&2 || {
  echo "cargo install aws_secretsmanager_agent --version $version failed" >&2
  exit 2
}
echo "$version" > "$stamp"
echo "$bin"
