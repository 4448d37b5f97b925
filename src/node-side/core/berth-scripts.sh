# berth node-side: a profile's script folders (post.d, firstboot.d), fetched
# from berth and run, the one way. POSIX sh; needs berth-api.sh sourced first.
# Used by install-to-disk in the initramfs (berth-install.sh), the installer's
# post script (install/berth-post.sh) and berth-firstboot.
#
# berth_scripts_fetch FOLDER DIR: the pending profile's FOLDER into DIR, from
# `<name> <base64>` lines (GET /node/v1/nodes/<node>/scripts/<folder>): no JSON
# parser needed. Names are checked before they become file names. Sets
# BERTH_SCRIPTS_COUNT; on failure BERTH_SCRIPTS_ERROR says why (status 1).
#
# berth_scripts_run FOLDER DIR LOG [ROOT]: each script of DIR by name (the
# order `*` sorts in, which is berth's), with a clean environment (the
# caller's may hold the image key or the install token): PATH, HOME, LANG and
# BERTH_NODE, BERTH_PROFILE, BERTH_IMAGE, BERTH_SERVER, BERTH_DISK. Output is
# appended to LOG. With ROOT each runs in a chroot of ROOT, and DIR and LOG
# are paths inside it. After each script `<folder>-script` goes into the
# timeline (`post-script` for post.d). The first that fails stops the rest (a
# later script may rely on an earlier one): status 1, BERTH_SCRIPTS_ERROR names
# it with its exit status and the log's last 600 bytes. BERTH_SCRIPTS_COUNT
# is how many ran.

# The working file for the fetched list; the caller's run directory when it has one.
BERTH_SCRIPTS_LIST=${BERTH_RUN:-/tmp}/berth-scripts.list

berth_scripts_fetch() {
  BERTH_SCRIPTS_COUNT=0
  BERTH_SCRIPTS_ERROR=
  if ! berth_api GET "/node/v1/nodes/$BERTH_NODE/scripts/$1" > "$BERTH_SCRIPTS_LIST" 2> "$BERTH_SCRIPTS_LIST.err"; then
    BERTH_SCRIPTS_ERROR="berth did not give the profile's $1 scripts: $(cat "$BERTH_SCRIPTS_LIST.err")"
    rm -f "$BERTH_SCRIPTS_LIST" "$BERTH_SCRIPTS_LIST.err"
    return 1
  fi
  rm -f "$BERTH_SCRIPTS_LIST.err"
  mkdir -p "$2"
  while read -r _sf_name _sf_data; do
    [ -n "$_sf_name" ] || continue
    case "$_sf_name" in
      .*|*[!A-Za-z0-9_.+-]*) BERTH_SCRIPTS_ERROR="berth sent a $1 script named '$_sf_name'"; break ;;
    esac
    printf '%s' "$_sf_data" | base64 -d > "$2/$_sf_name" || { BERTH_SCRIPTS_ERROR="$1/$_sf_name does not decode"; break; }
    chmod 755 "$2/$_sf_name"
    BERTH_SCRIPTS_COUNT=$((BERTH_SCRIPTS_COUNT + 1))
  done < "$BERTH_SCRIPTS_LIST"
  rm -f "$BERTH_SCRIPTS_LIST"
  [ -z "$BERTH_SCRIPTS_ERROR" ]
}

berth_scripts_run() {
  BERTH_SCRIPTS_COUNT=0
  BERTH_SCRIPTS_ERROR=
  _sr_root=${4:-}
  for _sr in "$_sr_root$2"/*; do
    [ -f "$_sr" ] || continue
    _sr_name=${_sr##*/}
    echo "== $1/$_sr_name" >> "$_sr_root$3"
    if ${_sr_root:+chroot "$_sr_root"} /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
      BERTH_NODE="$BERTH_NODE" BERTH_PROFILE="${BERTH_PROFILE:-}" BERTH_IMAGE="${BERTH_IMAGE:-}" BERTH_SERVER="$BERTH_SERVER" BERTH_DISK="${BERTH_DISK:-}" \
      "$2/$_sr_name" >> "$_sr_root$3" 2>&1; then
      BERTH_SCRIPTS_COUNT=$((BERTH_SCRIPTS_COUNT + 1))
      berth_report "${1%.d}-script" "$1/$_sr_name done"
      continue
    else
      _sr_status=$?
    fi
    # klibc's initramfs has no tail: the one in ROOT reads the log.
    BERTH_SCRIPTS_ERROR="$1/$_sr_name exited with $_sr_status: $(${_sr_root:+chroot "$_sr_root"} tail -c 600 "$3" 2>/dev/null)"
    return 1
  done
}
