# berth node-side core: tethered diskless, the image read on demand over NBD
# from every berth server serving it, under dm-multipath. Sourced by
# berth-boot.sh, and by berth-paths-watch in the booted OS.
#
# Why this shape (measured on Debian 12's 6.1 kernel, see shared/DESIGN.md):
# - one kernel NBD path per server, dm-multipath round-robin over them, no
#   multipathd: the table is small enough to write here;
# - `queue_mode bio`: the default request-based mode fails over too, but nbd
#   sleeps inside dm's non-blocking dispatch and the kernel warns (RCU);
# - `queue_if_no_path`: with every server gone, reads wait for one to come
#   back instead of failing the root filesystem;
# - nbd-client `-timeout 2`: without it a server that vanished silently (power,
#   cable) is never failed and reads hang; a killed process is seen at once;
# - nbd-client in netlink mode leaves no process behind, so nothing needs to
#   survive switch_root or be spared at shutdown but the watcher, which runs
#   from the booted OS (berth-paths.service).

BERTH_PATHS=berth-paths
BERTH_PATHS_FILE=$BERTH_RUN/nbd-paths

# berth_nbd_connect ENDPOINT DEVICE: one read-only path to ENDPOINT (host:port, [v6]:port).
berth_nbd_connect() {
  _host=${1%:*}
  _host=${_host#[}
  _host=${_host%]}
  nbd-client "$_host" "${1##*:}" "$2" -N "$BERTH_IMAGE" -readonly -block-size 4096 -timeout 2 >/dev/null 2>&1
}

# berth_nbd_free_device: the first /dev/nbdN with nothing connected.
berth_nbd_free_device() {
  for _sys in /sys/block/nbd*; do
    [ -e "$_sys" ] || continue
    [ -e "$_sys/pid" ] && continue
    [ "$(cat "$_sys/size" 2>/dev/null)" = 0 ] || continue
    grep -q "^/dev/${_sys##*/} " "$BERTH_PATHS_FILE" 2>/dev/null && continue
    echo "/dev/${_sys##*/}"
    return 0
  done
  return 1
}

# berth_paths_table: the multipath table over the devices in BERTH_PATHS_FILE.
berth_paths_table() {
  _list=
  _count=0
  while read -r _dev _endpoint; do
    [ -n "$_dev" ] || continue
    _list="$_list $_dev 1"
    _count=$((_count + 1))
  done < "$BERTH_PATHS_FILE"
  echo "0 $((BERTH_ARTIFACT_BYTES / 512)) multipath 3 queue_if_no_path queue_mode bio 0 1 1 round-robin 0 $_count 1$_list"
}

# berth_attach_tethered: NBD paths to every server, multipath over them; sets BERTH_DEVICE.
berth_attach_tethered() {
  [ -n "${BERTH_NBD_SERVERS:-}" ] || berth_fail_reported attach "berth sent no NBD servers for $BERTH_IMAGE (is boot.nbd_port 0 on the server?)"
  modprobe nbd max_part=0 nbds_max=16 2>/dev/null
  modprobe dm-multipath 2>/dev/null; modprobe dm-round-robin 2>/dev/null
  mkdir -p "$BERTH_RUN"
  _delay=5
  while :; do
    : > "$BERTH_PATHS_FILE"
    _down=
    for _endpoint in $(echo "$BERTH_NBD_SERVERS" | tr ',' ' '); do
      _dev=$(berth_nbd_free_device) || berth_fail_reported attach "no free /dev/nbd device"
      if berth_nbd_connect "$_endpoint" "$_dev"; then
        echo "$_dev $_endpoint" >> "$BERTH_PATHS_FILE"
      else
        _down="$_down $_endpoint"
      fi
    done
    [ -s "$BERTH_PATHS_FILE" ] && break
    berth_report no-server "no NBD server answers for $BERTH_IMAGE:$_down; again in ${_delay} s"
    sleep "$_delay"
    [ "$_delay" -lt 60 ] && _delay=$((_delay * 2))
  done
  # Servers down now are not forgotten: the watcher in the booted OS adds them when they answer.
  [ -n "$_down" ] && berth_report nbd-path-down "not answering:$_down"
  dmsetup create "$BERTH_PATHS" --readonly --table "$(berth_paths_table)" \
    || berth_fail_reported attach "dmsetup could not create the multipath device over$(cut -d' ' -f1 < "$BERTH_PATHS_FILE" | tr '\n' ' ')"
  BERTH_DEVICE=/dev/mapper/$BERTH_PATHS
  berth_report attached "$(wc -l < "$BERTH_PATHS_FILE") NBD paths:$(cut -d' ' -f2 < "$BERTH_PATHS_FILE" | tr '\n' ' ')"
}

# berth_paths_repair: one pass of the watcher. A failed path, or a server with
# no path, gets a fresh NBD device when its server answers again (a failed
# device cannot be reconnected in place while dm holds it), and the table is
# reloaded. Prints what it did.
berth_paths_repair() {
  _status=$(dmsetup status "$BERTH_PATHS" 2>/dev/null) || return 0
  _changed=
  _new=$BERTH_PATHS_FILE.new
  : > "$_new"
  while read -r _dev _endpoint; do
    _majmin=$(cat "/sys/block/${_dev#/dev/}/dev" 2>/dev/null)
    case " $_status " in
      *" $_majmin A "*) echo "$_dev $_endpoint" >> "$_new"; continue ;;
    esac
    _fresh=$(berth_nbd_free_device) || { echo "$_dev $_endpoint" >> "$_new"; continue; }
    if berth_nbd_connect "$_endpoint" "$_fresh"; then
      echo "$_fresh $_endpoint" >> "$_new"
      echo "$_endpoint: path $_dev replaced by $_fresh"
      _changed="$_changed $_dev"
    else
      echo "$_dev $_endpoint" >> "$_new"
    fi
  done < "$BERTH_PATHS_FILE"
  for _endpoint in $(echo "$BERTH_NBD_SERVERS" | tr ',' ' '); do
    grep -q " $_endpoint\$" "$_new" && continue
    _fresh=$(berth_nbd_free_device) || continue
    berth_nbd_connect "$_endpoint" "$_fresh" || continue
    echo "$_fresh $_endpoint" >> "$_new"
    echo "$_endpoint: new path $_fresh"
    _changed="$_changed new"
  done
  if [ -n "$_changed" ]; then
    _old=$BERTH_PATHS_FILE.old
    mv "$BERTH_PATHS_FILE" "$_old"
    mv "$_new" "$BERTH_PATHS_FILE"
    if dmsetup reload "$BERTH_PATHS" --table "$(berth_paths_table)" && dmsetup resume "$BERTH_PATHS"; then
      for _dev in $_changed; do
        [ "$_dev" = new ] || nbd-client -d "$_dev" >/dev/null 2>&1
      done
      rm -f "$_old"
    else
      mv "$_old" "$BERTH_PATHS_FILE"
      echo "dmsetup could not reload $BERTH_PATHS"
    fi
  fi
  rm -f "$_new"
}
