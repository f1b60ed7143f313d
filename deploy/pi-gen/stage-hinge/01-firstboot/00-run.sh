#!/bin/bash -e
# First-boot settings from the boot partition, and the mDNS name hinge-station.local (avahi
# announces the hostname; the installer may change it in hinge-station.txt).
install -d "${ROOTFS_DIR}/opt/hinge-station/firstboot"
install -m 0755 files/hinge_firstboot.py "${ROOTFS_DIR}/opt/hinge-station/firstboot/"
install -m 0644 files/hinge-firstboot.service "${ROOTFS_DIR}/etc/systemd/system/"
install -m 0644 files/hinge-station.txt "${ROOTFS_DIR}/boot/firmware/hinge-station.txt"
on_chroot <<'CHROOT'
systemctl enable hinge-firstboot.service avahi-daemon.service
CHROOT
