#!/usr/bin/env bash
# Put the station's source, its verified models and the first-boot files into a pi-gen checkout.
#   deploy/pi-gen/prepare.sh /path/to/pi-gen [MODELS_DIR]
set -euo pipefail
pigen=${1:?usage: prepare.sh PI_GEN_DIR [MODELS_DIR]}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
models=${2:-${STATION_DATA:-$HOME/.local/share/hinge-station}/models}
[ -f "$pigen/build.sh" ] || { echo "error: $pigen is not a pi-gen checkout" >&2; exit 1; }
for m in pose_detection.tflite pose_landmark_full.tflite; do
    [ -f "$models/$m" ] || { echo "error: $models/$m missing; run: station models fetch" >&2; exit 1; }
done
stage=$pigen/stage-hinge
rm -rf "$stage"
cp -a "$here/stage-hinge" "$stage"
install -d "$stage/00-install/files/hinge-station" "$stage/00-install/files/models" "$stage/01-firstboot/files"
(cd "$repo" && git ls-files -z | xargs -0 cp --parents -t "$stage/00-install/files/hinge-station")
cp "$models"/pose_detection.tflite "$models"/pose_landmark_full.tflite "$stage/00-install/files/models/"
cp "$repo/deploy/firstboot/hinge_firstboot.py" "$repo/deploy/firstboot/hinge-firstboot.service" \
    "$repo/deploy/firstboot/hinge-station.txt" "$stage/01-firstboot/files/"
cp "$here/config" "$pigen/config"
echo "ready: cd $pigen && ./build-docker.sh"
