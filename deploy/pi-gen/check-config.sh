#!/usr/bin/env bash
# The checks pi-gen's build.sh makes before any stage runs, on a config file (and, given a pi-gen
# checkout, that its branch builds the config's RELEASE for arm64). Written from pi-gen's
# documented rules, not its code. Exit 1 with the reason; the tests run it on deploy/pi-gen/config.
#   deploy/pi-gen/check-config.sh CONFIG [PI_GEN_DIR]
set -euo pipefail
config=${1:?usage: check-config.sh CONFIG [PI_GEN_DIR]}
pigen=${2:-}
die() { echo "pi-gen config: $*" >&2; exit 1; }
# shellcheck disable=SC1090
. "$config"
[ -n "${IMG_NAME:-}" ] || die "IMG_NAME not set"
if [ "${DISABLE_FIRST_BOOT_USER_RENAME:-0}" = "1" ] && [ -z "${FIRST_USER_PASS:-}" ]; then
    die "DISABLE_FIRST_BOOT_USER_RENAME=1 needs FIRST_USER_PASS (pi-gen's build.sh exits otherwise)"
fi
if [ -n "${WPA_PASSWORD:-}" ] && { [ "${#WPA_PASSWORD}" -lt 8 ] || [ "${#WPA_PASSWORD}" -gt 63 ]; }; then
    die "WPA_PASSWORD must be 8 to 63 characters"
fi
if [ "${PUBKEY_ONLY_SSH:-0}" = "1" ] && [ -z "${PUBKEY_SSH_FIRST_USER:-}" ]; then
    die "PUBKEY_ONLY_SSH=1 needs PUBKEY_SSH_FIRST_USER"
fi
if [ -n "${ARCH:-}" ]; then
    die "ARCH is set by pi-gen's branch (bookworm-arm64), not by the config"
fi
[ -n "${pigen}" ] || exit 0
for s in ${STAGE_LIST:-}; do
    [ -d "$pigen/$s" ] || [ "$s" = stage-hinge ] || die "STAGE_LIST: $pigen/$s does not exist"
done
branch_arch=$(sed -n 's/^export ARCH=\([a-z0-9]*\).*/\1/p' "$pigen/build.sh" | head -n 1)
# shellcheck disable=SC2016  # the ${RELEASE:-...} is pi-gen's text, matched literally
branch_release=$(sed -n 's/^export RELEASE=\${RELEASE:-\([a-z]*\)}.*/\1/p' "$pigen/build.sh" | head -n 1)
[ "$branch_arch" = arm64 ] || die "this pi-gen checkout builds ${branch_arch:-?}; check out its bookworm-arm64 branch"
[ "$branch_release" = "${RELEASE:-$branch_release}" ] \
    || die "this pi-gen checkout builds $branch_release, the config says RELEASE=$RELEASE; check out its ${RELEASE}-arm64 branch"
