# berth node-side core: untethered diskless, the whole artifact in compressed
# RAM. Sourced by berth-boot.sh.

# berth_attach_untethered: the whole artifact into compressed RAM; sets BERTH_DEVICE.
berth_attach_untethered() {
  [ -n "$BERTH_BOOT" ] || berth_fail_reported attach "no berth.boot= on the kernel command line"
  BERTH_DEVICE=$(berth_zram "$BERTH_ARTIFACT_BYTES")
  _url="$BERTH_BOOT/boot/images/${BERTH_IMAGE%@*}/${BERTH_IMAGE#*@}/root.img?node=$BERTH_NODE"
  berth_report fetching "$_url"
  _delay=5
  until curl --silent --show-error --fail --retry 3 -o "$BERTH_DEVICE" "$_url"; do
    berth_log "cannot download $_url; again in ${_delay} s"
    sleep "$_delay"
    [ "$_delay" -lt 60 ] && _delay=$((_delay * 2))
  done
  berth_report fetched "$BERTH_ARTIFACT_BYTES bytes into $BERTH_DEVICE"
  # The whole image is here: check all of it now rather than fail on a read later.
  veritysetup verify "$BERTH_DEVICE" "$BERTH_DEVICE" "$BERTH_VERITY_ROOT_HASH" --hash-offset="$BERTH_VERITY_HASH_OFFSET" >/dev/null 2>&1 \
    || berth_fail_reported verification-failed "the downloaded image $BERTH_IMAGE fails dm-verity verification: it is damaged or not what berth packed"
}

