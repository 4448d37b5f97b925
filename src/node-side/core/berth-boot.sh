# berth node-side boot core (POSIX sh), sourced by the initramfs-tools script
# and the dracut hook. Wrappers provide: berth_log (message), berth_fail
# (message; never returns), berth_network_up. It must run under busybox sh,
# dash and klibc's sh alike; it uses curl, sed, tr and cut, which the
# initramfs hook copies in. It talks to berth only through berth-api.sh.
#
# klibc's mount wants its options before the device: `mount -t T -o O DEV DIR`.
#
# Every step is reported to the node's timeline (berth node timeline); a
# failure says why, and what can be retried (no server, key refused) is
# retried with back-off instead of hanging silently.

BERTH_RUN=/run/berth
# Where the other parts of the core are; tests point it at the source tree.
BERTH_LIB=${BERTH_LIB:-/usr/lib/berth}

# berth_parse_cmdline [file]: BERTH_IMAGE, BERTH_METHOD, BERTH_PROFILE,
# BERTH_SERVER (node API), BERTH_BOOT (boot HTTP base), BERTH_NODE,
# BERTH_OVERLAY_MB from the kernel command line.
berth_parse_cmdline() {
  BERTH_IMAGE=; BERTH_METHOD=tethered; BERTH_PROFILE=; BERTH_SERVER=; BERTH_BOOT=; BERTH_NODE=; BERTH_OVERLAY_MB=1024
  for word in $(cat "${1:-/proc/cmdline}"); do
    case "$word" in
      berth.image=*) BERTH_IMAGE=${word#berth.image=} ;;
      berth.method=*) BERTH_METHOD=${word#berth.method=} ;;
      berth.profile=*) BERTH_PROFILE=${word#berth.profile=} ;;
      berth.server=*) BERTH_SERVER=${word#berth.server=} ;;
      berth.boot=*) BERTH_BOOT=${word#berth.boot=} ;;
      berth.node=*) BERTH_NODE=${word#berth.node=} ;;
      berth.overlay_mb=*) BERTH_OVERLAY_MB=${word#berth.overlay_mb=} ;;
    esac
  done
  case "$BERTH_METHOD" in
    tethered|untethered|installtodisk) ;;
    *) berth_fail "unknown berth.method '$BERTH_METHOD' (tethered, untethered or installtodisk)" ;;
  esac
  [ -n "$BERTH_IMAGE" ] || berth_fail "no berth.image= on the kernel command line; boot=berth needs the image version to attach"
}

# berth_fail_reported STEP MESSAGE: tell berth why, then stop.
berth_fail_reported() {
  berth_report "$1" "$2" failed
  berth_fail "$2"
}

# berth_boot_env: everything needed to attach the image (node API boot-env);
# each line is checked to be a plain assignment before it is evaluated.
berth_boot_env() {
  _env=$(berth_api GET "/node/v1/nodes/$BERTH_NODE/boot-env?image=$BERTH_IMAGE" 2>&1) || berth_fail_reported boot-env "berth refused the image key for $BERTH_IMAGE: $_env"
  _bad=$(printf '%s\n' "$_env" | sed -n "/^BERTH_[A-Z0-9_]*='[][A-Za-z0-9@._\$/+=:,-]*'\$/!p" | sed '/^$/d')
  [ -z "$_bad" ] || berth_fail_reported boot-env "unexpected line from berth: $_bad"
  eval "$_env"
}

# berth_zram SIZE-BYTES: a new zram device of that size; prints its path.
berth_zram() {
  [ -e /sys/class/zram-control/hot_add ] || modprobe zram num_devices=0 || berth_fail_reported zram "no zram in this kernel"
  _n=$(cat /sys/class/zram-control/hot_add)
  echo "$1" > "/sys/block/zram$_n/disksize" || berth_fail_reported zram "cannot size zram$_n to $1 bytes"
  echo "/dev/zram$_n"
}

# berth_open_image LOWER-DIR: verity over the ciphertext, dm-crypt over verity, squashfs on top.
berth_open_image() {
  modprobe dm-verity 2>/dev/null; modprobe dm-crypt 2>/dev/null; modprobe squashfs 2>/dev/null
  veritysetup open "$BERTH_DEVICE" berth-verity "$BERTH_DEVICE" "$BERTH_VERITY_ROOT_HASH" --hash-offset="$BERTH_VERITY_HASH_OFFSET" \
    || berth_fail_reported verification-failed "veritysetup open refused $BERTH_IMAGE"
  _keyfile="$BERTH_RUN/image.key"
  umask 077
  printf '%s' "$BERTH_IMAGE_KEY_BASE64" | base64 -d > "$_keyfile"
  umask 022
  _large=; [ "$BERTH_CRYPT_IV_LARGE_SECTORS" = 1 ] && _large=--iv-large-sectors
  cryptsetup open --type plain --cipher aes-xts-plain64 --key-size 512 --key-file "$_keyfile" \
    --sector-size "$BERTH_CRYPT_SECTOR_SIZE" $_large --readonly /dev/mapper/berth-verity berth-root \
    || berth_fail_reported decryption-failed "cryptsetup could not open $BERTH_IMAGE"
  rm -f "$_keyfile"
  mkdir -p "$1"
  # dm-verity does not refuse a wrong root hash at open: reads fail. A failed mount is a failed verification.
  mount -t squashfs -o ro /dev/mapper/berth-root "$1" \
    || berth_fail_reported verification-failed "the image $BERTH_IMAGE does not read back (dm-verity or decryption error)"
  berth_report image-opened "$BERTH_IMAGE verified and decrypted"
}

# berth_overlay LOWER TARGET: writes go to XFS on zram (discard returns freed RAM).
berth_overlay() {
  modprobe overlay 2>/dev/null; modprobe xfs 2>/dev/null
  _rw=$(berth_zram $((BERTH_OVERLAY_MB * 1024 * 1024)))
  mkfs.xfs -q "$_rw" || berth_fail_reported overlay "mkfs.xfs on $_rw failed"
  mkdir -p "$BERTH_RUN/rw"
  mount -t xfs -o discard "$_rw" "$BERTH_RUN/rw" || berth_fail_reported overlay "cannot mount the overlay's XFS"
  mkdir -p "$BERTH_RUN/rw/upper" "$BERTH_RUN/rw/work"
  mount -t overlay -o "lowerdir=$1,upperdir=$BERTH_RUN/rw/upper,workdir=$BERTH_RUN/rw/work" overlay "$2" \
    || berth_fail_reported overlay "cannot mount the overlay root"
}

# berth_personalize ROOT: host name, root password, fresh SSH host keys, what the OS needs to report back.
berth_personalize() {
  echo "$BERTH_HOSTNAME" > "$1/etc/hostname"
  if [ -n "$BERTH_ROOT_PASSWORD_HASH" ] && [ -f "$1/etc/shadow" ]; then
    sed -i "s|^root:[^:]*:|root:$BERTH_ROOT_PASSWORD_HASH:|" "$1/etc/shadow"
  fi
  berth_ssh "$1"
  cat > "$BERTH_RUN/env" <<ENV
BERTH_NODE='$BERTH_NODE'
BERTH_SERVER='$BERTH_SERVER'
BERTH_IMAGE='$BERTH_IMAGE'
BERTH_PROFILE='$BERTH_PROFILE'
BERTH_METHOD='$BERTH_METHOD'
BERTH_ARTIFACT_BYTES='$BERTH_ARTIFACT_BYTES'
BERTH_NBD_SERVERS='${BERTH_NBD_SERVERS:-}'
ENV
  mkdir -p "$1/etc/berth"
  cp "$BERTH_CA" "$1/etc/berth/ca.pem"
}

# berth_ssh ROOT: fresh host keys every boot (never shared between nodes),
# certificates for them from berth's SSH CA, and root's authorized_keys.
berth_ssh() {
  [ -x "$1/usr/bin/ssh-keygen" ] || { berth_report ssh "the image has no ssh-keygen: no host keys made"; return 0; }
  rm -f "$1"/etc/ssh/ssh_host_*
  # In the image's root: ssh-keygen wants root's passwd entry, which the initramfs does not have.
  chroot "$1" /usr/bin/ssh-keygen -q -A || berth_fail_reported ssh "ssh-keygen -A failed"
  mkdir -p "$1/etc/ssh/sshd_config.d"
  _conf="$1/etc/ssh/sshd_config.d/50-berth-certificates.conf"
  echo "# berth: host certificates signed by berth's SSH CA at boot" > "$_conf"
  _signed=0
  for _pub in "$1"/etc/ssh/ssh_host_*_key.pub; do
    _cert=$(berth_host_certificate "$_pub" 2>&1) || { berth_report ssh-certificate-refused "$_cert"; continue; }
    [ -n "$_cert" ] || continue
    printf '%s\n' "$_cert" > "${_pub%.pub}-cert.pub"
    _path=${_pub#"$1"}
    echo "HostCertificate ${_path%.pub}-cert.pub" >> "$_conf"
    _signed=$((_signed + 1))
  done
  if _keys=$(berth_api GET "/node/v1/nodes/$BERTH_NODE/authorized-keys") && [ -n "$_keys" ]; then
    mkdir -p "$1/root/.ssh"
    chmod 700 "$1/root/.ssh"
    printf '%s\n' "$_keys" > "$1/root/.ssh/authorized_keys"
    chmod 600 "$1/root/.ssh/authorized_keys"
  fi
  berth_report ssh-host-keys "fresh host keys, $_signed signed by berth's SSH CA"
}

# berth_mount_root TARGET: attaches the image and mounts the root at TARGET.
berth_mount_root() {
  berth_parse_cmdline
  berth_log "image $BERTH_IMAGE, method $BERTH_METHOD, profile ${BERTH_PROFILE:-?}"
  berth_network_up
  berth_get_key
  berth_report initramfs "image $BERTH_IMAGE, method $BERTH_METHOD"
  berth_boot_env
  case "$BERTH_METHOD" in
    untethered|installtodisk) berth_attach_untethered ;;
    tethered) berth_attach_tethered ;;
  esac
  berth_open_image "$BERTH_RUN/lower"
  berth_overlay "$BERTH_RUN/lower" "$1"
  berth_personalize "$1"
  # Writes the image to the node's disk and reboots: never returns.
  [ "$BERTH_METHOD" = installtodisk ] && berth_install_to_disk "$1"
  berth_keep_key "$1"
  berth_lock_tpm
  berth_report root-mounted "switching to $BERTH_IMAGE" booting
}

# The rest of the core, one file per concern.
. "$BERTH_LIB/berth-api.sh"
. "$BERTH_LIB/berth-scripts.sh"
. "$BERTH_LIB/berth-key.sh"
. "$BERTH_LIB/berth-untethered.sh"
. "$BERTH_LIB/berth-tethered.sh"
. "$BERTH_LIB/berth-install.sh"
