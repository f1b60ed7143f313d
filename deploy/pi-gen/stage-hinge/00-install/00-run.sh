#!/bin/bash -e
# Bake the station and its models into the image with the same install script installers use.
# files/hinge-station/ is the source tree and files/models/ the two verified models, put there
# by deploy/pi-gen/prepare.sh before the build.
install -d "${ROOTFS_DIR}/opt/hinge-station/src" "${ROOTFS_DIR}/tmp/hinge-models"
cp -a files/hinge-station/. "${ROOTFS_DIR}/opt/hinge-station/src/"
cp -a files/models/. "${ROOTFS_DIR}/tmp/hinge-models/"
on_chroot <<'CHROOT'
/opt/hinge-station/src/deploy/install.sh --models-from /tmp/hinge-models --no-start
rm -rf /tmp/hinge-models
CHROOT
