#!/usr/bin/env bash
# pi-gen's own build.sh on the image's config with every stage skipped (pi-gen's SKIP and
# SKIP_IMAGES files): all the checks build.sh makes before its first stage runs (root, its build
# tools, arm64 emulation, the first user's name, the rename wizard's password, Wi-Fi, SSH keys, the
# stage list, the export folder) in seconds instead of the build's hour. `make pi-check` runs it;
# so does tests/deploy/test_deploy.py when a checkout is there.
#   HINGE_FIRST_USER_PASS=... deploy/pi-gen/dry-run.sh PI_GEN_DIR [MODELS_DIR]
# It works on a scratch copy of the checkout (prepare.sh writes into it) and exits with build.sh's
# status, its output on stdout. HINGE_PIGEN_CONFIG=FILE puts FILE in place of the prepared config
# (the tests give it one pi-gen must refuse).
set -euo pipefail
pigen=$(cd "${1:?usage: HINGE_FIRST_USER_PASS=... dry-run.sh PI_GEN_DIR [MODELS_DIR]}" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ "$(id -u)" = 0 ] || { echo "error: pi-gen's build.sh runs as root only" >&2; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# With its .git: build.sh records the checkout's commit.
cp -a "$pigen" "$scratch/pi-gen"
rm -rf "$scratch/pi-gen/work" "$scratch/pi-gen/deploy"
"$here/prepare.sh" "$scratch/pi-gen" ${2:+"$2"} >/dev/null
cd "$scratch/pi-gen"
if [ -n "${HINGE_PIGEN_CONFIG:-}" ]; then
    install -m 0600 "$HINGE_PIGEN_CONFIG" config
fi
# The stage list as the config gives it (build.sh reads the same file from its working directory).
# shellcheck disable=SC1091
stages=$(. ./config && echo "${STAGE_LIST:-}")
for stage in $stages; do
    [ -d "$stage" ] || continue  # build.sh itself says which one is missing
    touch "$stage/SKIP" "$stage/SKIP_IMAGES"
done
./build.sh
