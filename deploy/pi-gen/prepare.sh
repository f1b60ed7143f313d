#!/usr/bin/env bash
# Put the station's source, its verified models and the first-boot files into a pi-gen checkout
# (its bookworm-arm64 branch), and write pi-gen's config with the first user's password.
#   HINGE_FIRST_USER_PASS=... deploy/pi-gen/prepare.sh /path/to/pi-gen [MODELS_DIR]
# It refuses what would stop pi-gen's build.sh before any stage runs (checked against its source):
# DISABLE_FIRST_BOOT_USER_RENAME=1 without FIRST_USER_PASS, a WPA_PASSWORD outside 8..63
# characters, a STAGE_LIST entry that is not there, and a branch that builds another release or
# architecture than the config says.
set -euo pipefail
pigen=${1:?usage: HINGE_FIRST_USER_PASS=... prepare.sh PI_GEN_DIR [MODELS_DIR]}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
models=${2:-${STATION_DATA:-$HOME/.local/share/hinge-station}/models}
die() { echo "error: $*" >&2; exit 1; }
[ -f "$pigen/build.sh" ] || die "$pigen is not a pi-gen checkout"
for m in pose_detection.tflite pose_landmark_full.tflite; do
    [ -f "$models/$m" ] || die "$models/$m missing; run: station models fetch"
done

config=$(mktemp)
trap 'rm -f "$config"' EXIT
pass=${HINGE_FIRST_USER_PASS:-}
[ "${#pass}" -ge 8 ] || die "set HINGE_FIRST_USER_PASS (8 or more characters): the image's installer user has no rename wizard, so pi-gen needs a password"
case "$pass" in *\'*|*\\*) die "HINGE_FIRST_USER_PASS: no quotes or backslashes";; esac
sed "s|^FIRST_USER_PASS=.*|FIRST_USER_PASS='$pass'|" "$here/config" > "$config"
"$here/check-config.sh" "$config" "$pigen"

stage=$pigen/stage-hinge
rm -rf "$stage"
cp -a "$here/stage-hinge" "$stage"
install -d "$stage/00-install/files/hinge-station" "$stage/00-install/files/models" "$stage/01-firstboot/files"
(cd "$repo" && git ls-files -z | xargs -0 cp --parents -t "$stage/00-install/files/hinge-station")
cp "$models"/pose_detection.tflite "$models"/pose_landmark_full.tflite "$stage/00-install/files/models/"
cp "$repo/deploy/firstboot/hinge_firstboot.py" "$repo/deploy/firstboot/hinge-firstboot.service" \
    "$repo/deploy/firstboot/hinge-station.txt" "$stage/01-firstboot/files/"
# Only stage-hinge's image: stage2's EXPORT_IMAGE would export the plain Lite image first (an
# hour's wasted export) and leave IMG_SUFFIX="-lite" behind. pi-gen's build.sh (bookworm-arm64
# d7a31c6a, lines 94-98) queues a stage's EXPORT_IMAGE only when the stage has no SKIP_IMAGES file.
touch "$pigen/stage2/SKIP_IMAGES"
install -m 0600 "$config" "$pigen/config"
echo "ready: cd $pigen && ./build-docker.sh"
