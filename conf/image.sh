#!/bin/sh
# Builds the installer image from conf/Dockerfile with buildah, offline
# (FROM scratch: nothing is pulled, nothing compiled):
#
#   conf/image.sh BINARY TAG
#
# BINARY is a static vf-offload (`make build` writes bin/vf-offload). The
# build context is a temporary directory holding that file only, at the
# path the Dockerfile copies. `make image` runs this script, and so does the
# image test (e2e/image), which points buildah at storage of its own with
# CONTAINERS_STORAGE_CONF. The image is stored with the vfs driver, which
# works on any filesystem and inside containers; use the same
# --storage-driver vfs with buildah or podman to push it.
set -eu
if [ $# -ne 2 ]; then
	echo "usage: $0 BINARY TAG" >&2
	exit 2
fi
bin=$1
tag=$2
conf=$(cd "$(dirname "$0")" && pwd)
[ -f "$bin" ] || { echo "$0: $bin: no such file (run make build)" >&2; exit 1; }
ctx=$(mktemp -d "${TMPDIR:-/tmp}/vf-offload-image.XXXXXX")
trap 'rm -rf "$ctx"' EXIT
trap 'exit 1' INT TERM
mkdir "$ctx/bin"
cp "$bin" "$ctx/bin/vf-offload"
buildah bud --storage-driver vfs --pull=never --file "$conf/Dockerfile" --tag "$tag" "$ctx"
