#!/usr/bin/env bash
# Prints the path of AWS's Runtime Interface Emulator, installing the pinned version with
# the Go toolchain into the repository's ignored cache (.cache/bin) on first use.
# Exits 2 with a message naming what is missing when it cannot.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
module=github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie
version=v0.0.0-20261030222936-bef5c4ba774d
bin="$root/.cache/bin/aws-lambda-rie"
stamp="$root/.cache/bin/aws-lambda-rie.version"
if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then
  echo "$bin"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "go is not installed: it builds aws-lambda-rie ($module@$version)" >&2
  exit 2
fi
mkdir -p "$root/.cache/bin"
echo "installing aws-lambda-rie $version with go install ..." >&2
GOBIN="$root/.cache/bin" go install "$module@$version" >&2 || {
  echo "go install $module@$version failed" >&2
  exit 2
}
echo "$version" > "$stamp"
echo "$bin"
