# berth node-side core: install-to-disk. Sourced by berth-boot.sh.
#
# berth_install_to_disk ROOT runs once the image is attached, verified and
# personalized at ROOT (an overlay over the image, as for an untethered
# boot), and never returns: it writes the image to the node's disk and
# reboots, or fails with its reason in the timeline (`install-failed`, state
# `failed`).
#
# The heavy work is done by the image's own tools, by chroot into ROOT
# (sfdisk, mkfs, cp, blkid, mount) and then into the installed disk (GRUB,
# post.d): the initramfs has klibc's tools only, and the image's tools are
# the versions its own GRUB and kernel are used with. ROOT gets fresh devtmpfs,
# proc and sysfs mounts rather than bind mounts: devtmpfs is one instance
# whatever the mount, so udev's /dev/disk/by-* links are there too.
#
# Disk rule: deployment.install_disk (boot-env, base64: by-path names have
# ':') if set; else the first whole disk, by kernel name in byte order,
# among sd*, vd*, xvd*, nvme*n* that is not removable, not read-only and at
# least 2 GiB. zram, loop, nbd, ram, sr, dm and md devices are never chosen:
# they are berth's own or not disks.
#
# Layout (GPT), so one disk boots under BIOS and UEFI alike:
#   1  1 MiB    BIOS boot partition: GRUB's i386-pc core image (GPT has no gap after the MBR for it)
#   2  512 MiB  EFI system partition, FAT32, mounted at /boot/efi; GRUB at EFI/BOOT/BOOTX64.EFI
#   3  rest     root, ext4 (GRUB reads it on every distribution berth builds, unlike newer XFS features)
# UEFI GRUB is installed --removable --no-nvram: the fallback path every
# firmware boots without a boot entry, so nothing is written into NVRAM
# (berth's PXE entry stays first; berth's iPXE script sends an installed
# node on to its disk).
#
# What is written besides the image: /etc/fstab (by UUID), GRUB's settings
# (the profile's own kernel arguments; berth's network-boot ones, boot=berth
# above all, are left out), /etc/berth/node.env and node.key (0600) with
# which the installed system reports to berth, the firstboot.d scripts for
# berth-firstboot.service. The SSH host keys and certificates are the ones
# made for this install. post.d runs in a chroot of the installed disk.

BERTH_SYS=${BERTH_SYS:-/sys}
# 2 GiB in 512-byte sectors (/sys/block/*/size counts those whatever the disk's sector size).
BERTH_INSTALL_MIN_SECTORS=4194304
# Inside ROOT: where the new root file system is mounted, and a view of ROOT
# without the mounts on it, to copy from (cp refuses to copy / into itself).
BERTH_TARGET=/run/berth-target
BERTH_SOURCE=/run/berth-source

# berth_install_pick_disk: prints the disk to install on, or why there is none (status 1).
berth_install_pick_disk() {
  if [ -n "${BERTH_INSTALL_DISK:-}" ]; then
    case "$BERTH_INSTALL_DISK" in
      /dev/*) ;;
      *) echo "deployment.install_disk=$BERTH_INSTALL_DISK is not a /dev path"; return 1 ;;
    esac
    [ -b "$BERTH_INSTALL_DISK" ] || { echo "deployment.install_disk=$BERTH_INSTALL_DISK: no such block device on this node"; return 1; }
    _pd_name=$(readlink -f "$BERTH_INSTALL_DISK") && _pd_name=${_pd_name##*/}
    [ -e "$BERTH_SYS/block/$_pd_name" ] || { echo "deployment.install_disk=$BERTH_INSTALL_DISK is not a whole disk (a partition?)"; return 1; }
    [ "$(cat "$BERTH_SYS/block/$_pd_name/ro")" = 0 ] || { echo "deployment.install_disk=$BERTH_INSTALL_DISK is read-only"; return 1; }
    echo "/dev/$_pd_name"
    return 0
  fi
  _pd_seen=
  for _pd in "$BERTH_SYS"/block/*; do
    _pd_name=${_pd##*/}
    case "$_pd_name" in
      nvme*c*) continue ;; # a hidden path of a multipath NVMe namespace
      sd*|vd*|xvd*|nvme*n*) ;;
      *) continue ;;
    esac
    _pd_size=$(cat "$_pd/size" 2>/dev/null)
    _pd_seen="$_pd_seen $_pd_name(${_pd_size:-?} sectors, removable $(cat "$_pd/removable" 2>/dev/null), ro $(cat "$_pd/ro" 2>/dev/null))"
    [ "$(cat "$_pd/removable" 2>/dev/null)" = 0 ] || continue
    [ "$(cat "$_pd/ro" 2>/dev/null)" = 0 ] || continue
    [ "${_pd_size:-0}" -ge "$BERTH_INSTALL_MIN_SECTORS" ] || continue
    echo "/dev/$_pd_name"
    return 0
  done
  echo "no disk to install on: none of sd*, vd*, xvd*, nvme*n* is fixed, writable and at least 2 GiB (seen:${_pd_seen:- none}); set deployment.install_disk"
  return 1
}

# berth_install_partition DISK N: the Nth partition's device (nvme0n1 -> nvme0n1p1, vda -> vda1).
berth_install_partition() {
  case "$1" in
    *[0-9]) echo "${1}p$2" ;;
    *) echo "$1$2" ;;
  esac
}

# berth_install_kernel_args [CMDLINE-FILE]: the kernel arguments the installed
# system keeps: the profile's own, without berth's network-boot ones (boot=berth
# would make its initramfs look for berth) and without what GRUB sets itself.
berth_install_kernel_args() {
  _ka=
  for _w in $(cat "${1:-/proc/cmdline}"); do
    case "$_w" in
      boot=*|berth.*|ip=*|BOOTIF=*|initrd=*|BOOT_IMAGE=*|root=*|rootfstype=*|rootflags=*|ro|rw) ;;
      *) _ka="$_ka $_w" ;;
    esac
  done
  echo "${_ka# }"
}

# berth_install_grub_defaults KERNEL-ARGS: GRUB's settings for the installed system (sourced by grub-mkconfig).
berth_install_grub_defaults() {
  echo "# berth install-to-disk: the profile's kernel arguments, without berth's network-boot ones"
  echo "GRUB_CMDLINE_LINUX=\"$1\""
  echo 'GRUB_CMDLINE_LINUX_DEFAULT=""'
  echo 'GRUB_TIMEOUT=2'
  echo 'GRUB_DISABLE_OS_PROBER=true'
  # A serial console for the kernel (console=ttyS1,115200n8) is one for GRUB too: servers are reached over serial-over-LAN.
  for _w in $1; do
    case "$_w" in
      console=ttyS[0-9]*)
        _unit=${_w#console=ttyS}; _unit=${_unit%%,*}
        _speed=${_w#*,}; [ "$_speed" = "$_w" ] && _speed=115200; _speed=${_speed%%[!0-9]*}
        echo 'GRUB_TERMINAL="serial console"'
        echo "GRUB_SERIAL_COMMAND=\"serial --unit=$_unit --speed=${_speed:-115200}\""
        ;;
    esac
  done
}

# berth_install_fail MESSAGE: into the timeline as install-failed (state failed), then stop.
berth_install_fail() { berth_fail_reported install-failed "$1"; }

# berth_install_run ROOT LOG WHAT COMMAND...: runs COMMAND in a chroot of ROOT,
# output to LOG (a path inside ROOT); on failure reports WHAT with the output's tail.
berth_install_run() {
  _ir_root=$1; _ir_log=$2; _ir_what=$3; shift 3
  echo "+ $*" >> "$_ir_root$_ir_log"
  chroot "$_ir_root" "$@" >> "$_ir_root$_ir_log" 2>&1 && return 0
  _ir_status=$?
  berth_install_fail "$_ir_what failed (exit $_ir_status): $(chroot "$_ir_root" tail -c 600 "$_ir_log" 2>/dev/null)"
}

# berth_install_post TARGET: the profile's firstboot.d left for the first boot,
# and its post.d run now, each in a chroot of the installed system (berth-scripts.sh).
berth_install_post() {
  berth_scripts_fetch firstboot.d "$1/var/lib/berth/firstboot.d" || berth_install_fail "$BERTH_SCRIPTS_ERROR"
  berth_scripts_fetch post.d "$1/var/lib/berth/post.d" || berth_install_fail "$BERTH_SCRIPTS_ERROR"
  berth_report post "$BERTH_SCRIPTS_COUNT post.d scripts" post
  BERTH_DISK=$BERTH_INSTALL_TO
  berth_scripts_run post.d /var/lib/berth/post.d /var/log/berth/post.log "$1" || berth_fail_reported post-failed "$BERTH_SCRIPTS_ERROR"
  rm -rf "$1/var/lib/berth/post.d"
}

# berth_install_reboot: the installed system comes up from the disk (berth's iPXE script sends it there).
berth_install_reboot() {
  sync
  berth_log "installed on $BERTH_INSTALL_TO; rebooting"
  reboot -f 2>/dev/null
  echo b > /proc/sysrq-trigger
  sleep 30
  berth_fail "the reboot after the install did not happen"
}

berth_install_to_disk() {
  _r=$1
  _t=$_r$BERTH_TARGET
  BERTH_INSTALL_DISK=
  [ -n "${BERTH_INSTALL_DISK_BASE64:-}" ] && BERTH_INSTALL_DISK=$(printf '%s' "$BERTH_INSTALL_DISK_BASE64" | base64 -d)
  # Disks whose drivers load late (RAID controllers, USB) are there once udev is done.
  udevadm settle --timeout=30 2>/dev/null
  BERTH_INSTALL_TO=$(berth_install_pick_disk) || berth_install_fail "$BERTH_INSTALL_TO"
  berth_report installing "erasing $BERTH_INSTALL_TO${BERTH_INSTALL_DISK:+ (deployment.install_disk=$BERTH_INSTALL_DISK)}" installing

  for _m in dev:devtmpfs proc:proc sys:sysfs; do
    mkdir -p "$_r/${_m%%:*}"
    mount -t "${_m#*:}" "${_m#*:}" "$_r/${_m%%:*}" || berth_install_fail "cannot mount ${_m#*:} in the image's root"
  done
  mkdir -p "$_r/var/log/berth"
  _log=/var/log/berth/install.log
  # The image's modules are the running kernel's: the initramfs has no vfat nor its code pages.
  for _mod in ext4 vfat nls_cp437 nls_ascii nls_utf8 nls_iso8859-1; do chroot "$_r" modprobe "$_mod" 2>/dev/null; done

  _bios=$(berth_install_partition "$BERTH_INSTALL_TO" 1)
  _esp=$(berth_install_partition "$BERTH_INSTALL_TO" 2)
  _root=$(berth_install_partition "$BERTH_INSTALL_TO" 3)
  # Type GUIDs: BIOS boot, EFI system, Linux file system. --wipe: no old RAID, LVM or file system signature survives to confuse udev or GRUB.
  printf '%s\n' 'label: gpt' \
    'size=1MiB, type=21686148-6449-6E6F-744E-656564454649, name="bios-boot"' \
    'size=512MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="esp"' \
    'type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="root"' > "$_r/run/berth-partitions"
  berth_install_run "$_r" "$_log" "sfdisk on $BERTH_INSTALL_TO" sh -c 'sfdisk --wipe always --wipe-partitions always "$1" < /run/berth-partitions' sfdisk "$BERTH_INSTALL_TO"
  udevadm settle --timeout=30 2>/dev/null
  _wait=0
  until [ -b "$_root" ]; do
    [ "$_wait" -lt 30 ] || berth_install_fail "$_root did not appear after partitioning $BERTH_INSTALL_TO"
    sleep 1
    _wait=$((_wait + 1))
  done
  berth_install_run "$_r" "$_log" "mkfs.vfat on $_esp" mkfs.vfat -F 32 -n BERTH-ESP "$_esp"
  berth_install_run "$_r" "$_log" "mkfs.ext4 on $_root" mkfs.ext4 -q -F -L berth-root "$_root"
  # udev makes /dev/disk/by-uuid/ once it has seen the new file systems; grub-mkconfig writes root=UUID= only if the link is there.
  udevadm settle --timeout=30 2>/dev/null
  _root_uuid=$(chroot "$_r" blkid -p -s UUID -o value "$_root")
  _esp_uuid=$(chroot "$_r" blkid -p -s UUID -o value "$_esp")
  [ -n "$_root_uuid" ] && [ -n "$_esp_uuid" ] || berth_install_fail "blkid finds no UUID on $_root or $_esp"
  berth_report partitioned "$BERTH_INSTALL_TO: $_bios BIOS boot, $_esp EFI system (UUID $_esp_uuid), $_root root ext4 (UUID $_root_uuid)"

  mkdir -p "$_t" "$_r$BERTH_SOURCE"
  berth_install_run "$_r" "$_log" "mounting $_root" mount -t ext4 "$_root" "$BERTH_TARGET"
  # A plain (not recursive) bind of / shows the image alone, without /dev, /proc, /sys or the target mounted on it.
  berth_install_run "$_r" "$_log" "binding the image's root" mount --bind / "$BERTH_SOURCE"
  berth_install_run "$_r" "$_log" "copying the image to $_root" cp -a "$BERTH_SOURCE/." "$BERTH_TARGET/"
  berth_install_run "$_r" "$_log" "unbinding the image's root" umount "$BERTH_SOURCE"
  rm -f "$_t/run/berth-partitions"
  berth_report copied "the image $BERTH_IMAGE is on $_root"

  mkdir -p "$_t/boot/efi"
  berth_install_run "$_r" "$_log" "mounting the EFI system partition" mount -t vfat -o umask=0077 "$_esp" "$BERTH_TARGET/boot/efi"
  for _m in dev proc sys; do
    berth_install_run "$_r" "$_log" "binding /$_m into the installed system" mount --bind "/$_m" "$BERTH_TARGET/$_m"
  done
  berth_install_run "$_r" "$_log" "mounting /run in the installed system" mount -t tmpfs -o mode=0755 tmpfs "$BERTH_TARGET/run"

  cat > "$_t/etc/fstab" <<FSTAB
# written by berth at install (profile $BERTH_PROFILE, image $BERTH_IMAGE)
UUID=$_root_uuid / ext4 errors=remount-ro 0 1
UUID=$_esp_uuid /boot/efi vfat umask=0077 0 2
FSTAB
  mkdir -p "$_t/etc/berth" "$_t/var/lib/berth" "$_t/var/log/berth"
  cat > "$_t/etc/berth/node.env" <<ENV
BERTH_NODE='$BERTH_NODE'
BERTH_SERVER='$BERTH_SERVER'
BERTH_IMAGE='$BERTH_IMAGE'
BERTH_PROFILE='$BERTH_PROFILE'
BERTH_METHOD='installtodisk'
BERTH_DISK='$BERTH_INSTALL_TO'
BERTH_KEY_POLICY='${BERTH_KEY_POLICY:-}'
ENV
  umask 077
  printf '%s\n' "$BERTH_KEY" > "$_t/etc/berth/node.key"
  umask 022
  chmod 600 "$_t/etc/berth/node.key"
  cp "$_r/var/log/berth/install.log" "$_t/var/log/berth/install.log"
  _log=/var/log/berth/install.log

  # GRUB's settings: a file of berth's own where grub-mkconfig reads /etc/default/grub.d (Debian, Ubuntu),
  # else appended to /etc/default/grub, where later assignments win.
  _args=$(berth_install_kernel_args)
  if [ -d "$_t/etc/default/grub.d" ]; then
    berth_install_grub_defaults "$_args" > "$_t/etc/default/grub.d/50-berth.cfg"
  else
    berth_install_grub_defaults "$_args" >> "$_t/etc/default/grub"
  fi
  _grub=grub
  chroot "$_t" sh -c 'command -v grub-install' >/dev/null 2>&1 || _grub=grub2
  chroot "$_t" sh -c "command -v $_grub-install" >/dev/null 2>&1 || berth_install_fail "the image has no grub-install nor grub2-install: add its GRUB packages"
  _grub_lib=$_t/usr/lib/grub
  [ -d "$_grub_lib" ] || _grub_lib=$_t/usr/lib/grub2
  _platforms=
  case "$(uname -m)" in
    x86_64) _platforms="i386-pc x86_64-efi" ;;
    aarch64) _platforms="arm64-efi" ;;
  esac
  _installed=
  for _p in $_platforms; do
    [ -d "$_grub_lib/$_p" ] || continue
    case "$_p" in
      *-efi) berth_install_run "$_t" "$_log" "$_grub-install --target=$_p" "$_grub-install" --target="$_p" --efi-directory=/boot/efi --removable --no-nvram ;;
      *) berth_install_run "$_t" "$_log" "$_grub-install --target=$_p" "$_grub-install" --target="$_p" "$BERTH_INSTALL_TO" ;;
    esac
    _installed="$_installed $_p"
  done
  [ -n "$_installed" ] || berth_install_fail "the image has no GRUB modules for $(uname -m) (looked for $_platforms under ${_grub_lib#"$_t"})"
  berth_install_run "$_t" "$_log" "$_grub-mkconfig" "$_grub-mkconfig" -o "/boot/$_grub/grub.cfg"
  berth_report bootloader "GRUB for$_installed on $BERTH_INSTALL_TO; kernel arguments: ${_args:-none}"

  berth_install_post "$_t"

  chroot "$_r" umount -R "$BERTH_TARGET" 2>/dev/null || berth_install_fail "cannot unmount the installed system from $BERTH_INSTALL_TO"
  sync
  berth_report installed "$BERTH_IMAGE installed on $BERTH_INSTALL_TO; rebooting into it" installed
  berth_install_reboot
}
