#!/usr/bin/env bash
# Builds meshsim's Debian 12 base image without a registry: mmdebstrap writes a minimal root
# file system from the Debian mirror apt already uses, and podman imports it as
# localhost/meshsim/debian-base:bookworm (the default BASE of images/runtime/Containerfile).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/containers.conf}"
image="${1:-localhost/meshsim/debian-base:bookworm}"

mirror=""
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  mirror="$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)"
fi
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror="$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' /etc/apt/sources.list)"
fi
mirror="${mirror:-http://deb.debian.org/debian}"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mmdebstrap --quiet --variant=minbase bookworm "$tmp/base.tar" "$mirror"
podman import --quiet --change 'CMD ["/bin/bash"]' "$tmp/base.tar" "$image" >/dev/null
echo "built $image from $mirror"
