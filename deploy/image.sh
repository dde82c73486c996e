#!/usr/bin/env bash
# Build the MDA++ container image with podman: `make image` (docs/deployment.md, "Building the image").
#
#   IMAGE        tag to build                      (default localhost/mda:<version>)
#   BASE_IMAGE   the base for both stages           (default: a Debian bookworm + python3 base made here from
#                Debian packages, since no registry is reachable from this machine; a region passes e.g.
#                docker.io/library/python:3.11-slim-bookworm)
#   PYTHON       the Python that builds the wheels  (must match the base's Python minor version: 3.11)
#
# The Debian base's root file system is cached in build/image/rootfs-bookworm.tar (about 60 s to make once).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -1)
IMAGE=${IMAGE:-localhost/mda:$VERSION}
DEBIAN_BASE=localhost/mda-base-debian:bookworm
export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/deploy/podman/containers.conf}

if ! command -v podman >/dev/null || { [ -z "${BASE_IMAGE:-}" ] && ! command -v mmdebstrap >/dev/null; }; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y -qq podman buildah runc mmdebstrap >/dev/null 2>&1 \
      || { apt-get update -qq && apt-get install -y -qq podman buildah runc mmdebstrap >/dev/null; }
  else
    echo "podman ontbreekt: sudo apt-get install -y podman buildah runc mmdebstrap" >&2; exit 1
  fi
fi

# 1. wheels for exactly the locked versions, built on the host: the image build needs no package index
mkdir -p build/wheels build/image
"$PYTHON" -m pip wheel --quiet --no-deps --wheel-dir build/wheels -r deploy/requirements.lock \
  2> >(grep -v "^WARNING: Location" >&2)

# 2. the base image
if [ -z "${BASE_IMAGE:-}" ]; then
  BASE_IMAGE=$DEBIAN_BASE
  if ! podman image exists "$DEBIAN_BASE"; then
    if [ ! -f build/image/rootfs-bookworm.tar ]; then
      # the mirrors this machine's apt uses
      mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
      security=$(awk '/^URIs:/ {u=$2} /^Suites:.*security/ {print u; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
      mmdebstrap --quiet --variant=minbase --format=tar --include=python3,python3-venv,ca-certificates,tzdata \
        bookworm build/image/rootfs-bookworm.partial.tar \
        "deb ${mirror:-http://deb.debian.org/debian} bookworm main" \
        "deb ${security:-http://deb.debian.org/debian-security} bookworm-security main"
      mv build/image/rootfs-bookworm.partial.tar build/image/rootfs-bookworm.tar
    fi
    podman import --quiet build/image/rootfs-bookworm.tar "$DEBIAN_BASE" >/dev/null
  fi
fi

# 3. the image
revision=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
source_url=$(git remote get-url origin 2>/dev/null || echo unknown)
podman build --quiet --file Containerfile --tag "$IMAGE" \
  --build-arg BASE_IMAGE="$BASE_IMAGE" --build-arg VERSION="$VERSION" \
  --build-arg REVISION="$revision" --build-arg SOURCE="$source_url" . >/dev/null
echo "$IMAGE"
