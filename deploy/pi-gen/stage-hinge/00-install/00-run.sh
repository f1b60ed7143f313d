#!/bin/bash -e
# Bake the station and its models into the image with the same install script installers use.
# files/hinge-station/ is the source tree and files/models/ the two verified models, put there
# by deploy/pi-gen/prepare.sh before the build.
# The models wait in /var/cache, not /tmp: on_chroot mounts a fresh tmpfs on the root's /tmp (and
# /run) when none is mounted there yet (pi-gen bookworm-arm64 d7a31c6a, scripts/common lines
# 96-102), which would hide what was copied into /tmp before it.
staging=var/cache/hinge-station-models
install -d "${ROOTFS_DIR}/opt/hinge-station/src" "${ROOTFS_DIR}/${staging}"
cp -a files/hinge-station/. "${ROOTFS_DIR}/opt/hinge-station/src/"
cp -a files/models/. "${ROOTFS_DIR}/${staging}/"
# install.sh passes --no-cache-dir to pip (no PIP_CACHE_DIR here): no pip cache stays in the image.
on_chroot <<CHROOT
/opt/hinge-station/src/deploy/install.sh --models-from /${staging} --no-start
rm -rf /${staging}
CHROOT
