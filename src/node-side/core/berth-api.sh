# berth node-side: the one way node-side shell talks to berth's node API
# (/node/v1, src/api/routes/node-api.ts). POSIX sh (dash, busybox sh, klibc
# sh, bash), sourced by the initramfs core (berth-boot.sh), the installer's
# post script (install/berth-post.sh) and the booted system's tools (bin/).
#
# Where it finds berth, in every context:
#   BERTH_SERVER    the node API's base URL: berth.server= on the kernel
#                   command line, /run/berth/env or /etc/berth/node.env on a
#                   booted system (berth_node_env), post.sh's first lines
#   BERTH_CA        berth's CA certificate, /etc/berth/ca.pem: from the site
#                   initrd (site.cpio) in the initramfs, copied into the booted
#                   root, written by post.sh
#   BERTH_NODE      the node's name
#   BERTH_KEY       the node key, where the shell holds it (the initramfs), else
#   BERTH_KEY_FILE  the file holding it (/run/berth/node.key, /etc/berth/node.key)
#
# The key reaches curl on its standard input (`-H @-`), written by the shell's
# builtin printf and read with the builtin read: never on a command line,
# which every local user can read in /proc/<pid>/cmdline.
#
# Every request says `Accept: text/plain`, and berth answers the node in text
# the shell reads as it is: the key alone, one SSH certificate per line, shell
# assignments (boot-env), `<name> <base64>` lines (scripts). Nothing here or in
# its callers picks JSON apart.
#
# Transient failures (curl failing: no connection, TLS, timeout; HTTP 408, 429, 500, 502-504)
# are tried again three times, 1, 2 and 4 s apart (here, not by curl's
# --retry, which would write every retried answer's body to stdout); a caller
# that waits for something (arming, berth coming back) loops on top.
#
# berth_api METHOD PATH [JSON-BODY]: the answer's body on stdout. On failure,
# one line on stderr naming the request and why, and the status:
#   1  cannot ask: no BERTH_SERVER, no CA, or no curl
#   2  berth is not reachable (name, connection, TLS, timeout), after the retries
#   3  the node key is not accepted (HTTP 401: unknown, revoked, or none sent)
#   4  berth refused the request (any other 4xx; berth's reason is in the line)
#   5  berth failed (5xx), after the retries

BERTH_CA=${BERTH_CA:-/etc/berth/ca.pem}

berth_api() {
  [ -n "${BERTH_SERVER:-}" ] || { echo "berth-api: $1 $2: no node API URL (BERTH_SERVER; berth.server= on the kernel command line)" >&2; return 1; }
  [ -r "$BERTH_CA" ] || { echo "berth-api: $1 $2: berth's CA certificate $BERTH_CA is missing" >&2; return 1; }
  command -v curl > /dev/null 2>&1 || { echo "berth-api: $1 $2: there is no curl" >&2; return 1; }
  _ba_key=${BERTH_KEY:-}
  if [ -z "$_ba_key" ] && [ -n "${BERTH_KEY_FILE:-}" ] && [ -r "$BERTH_KEY_FILE" ]; then
    IFS= read -r _ba_key < "$BERTH_KEY_FILE" || :
  fi
  _ba_delay=1
  while :; do
    # The status code on a line of its own after the body: the body is kept byte for byte, whatever it ends with.
    _ba_rc=0
    _ba_out=$(
      {
        printf 'Accept: text/plain\n'
        [ -z "$_ba_key" ] || printf 'Authorization: BerthNode %s:%s\n' "$BERTH_NODE" "$_ba_key"
        [ -z "${3:-}" ] || printf 'Content-Type: application/json\n'
      } | curl --silent --show-error --max-time 60 --cacert "$BERTH_CA" \
        -H @- -X "$1" ${3:+--data "$3"} --write-out '\n%{http_code}' "$BERTH_SERVER$2"
    ) || _ba_rc=$?
    _ba_code=${_ba_out##*[!0-9]}
    _ba_body=${_ba_out%"$_ba_code"}
    _ba_body=${_ba_body%?}
    _ba_out=
    [ "$_ba_delay" -le 4 ] || break
    if [ "$_ba_rc" -eq 0 ]; then
      case "$_ba_code" in 408|429|500|502|503|504) ;; *) break ;; esac
    fi
    sleep "$_ba_delay"
    _ba_delay=$((_ba_delay * 2))
  done
  _ba_key=
  if [ "$_ba_rc" -ne 0 ]; then
    echo "berth-api: $1 $2: berth is not reachable at $BERTH_SERVER (curl exit $_ba_rc)" >&2
    return 2
  fi
  case "$_ba_code" in
    2??) printf '%s' "$_ba_body"; return 0 ;;
    401) _ba_rc=3 ;;
    5??) _ba_rc=5 ;;
    *) _ba_rc=4 ;;
  esac
  echo "berth-api: $1 $2: HTTP $_ba_code from berth: $_ba_body" >&2
  return "$_ba_rc"
}

# berth_api_has_key: whether a node key is at hand (BERTH_KEY or a readable BERTH_KEY_FILE).
berth_api_has_key() {
  [ -n "${BERTH_KEY:-}" ] && return 0
  [ -n "${BERTH_KEY_FILE:-}" ] && [ -r "$BERTH_KEY_FILE" ]
}

# berth_node_env: on a booted system, its node.env and key file: /run/berth
# (diskless: what the initramfs left), else /etc/berth (installed on its disk).
berth_node_env() {
  if [ -r /run/berth/env ]; then
    BERTH_NODE_ENV=/run/berth/env BERTH_KEY_FILE=/run/berth/node.key
  else
    BERTH_NODE_ENV=/etc/berth/node.env BERTH_KEY_FILE=/etc/berth/node.key
  fi
  [ -r "$BERTH_NODE_ENV" ] || { echo "berth: $BERTH_NODE_ENV is missing: this system was not deployed by berth" >&2; return 1; }
  . "$BERTH_NODE_ENV"
}

# JSON string contents: quotes, backslashes and control characters out.
berth_json_text() { printf '%s' "$1" | tr -d '"\\\000-\037' | cut -c1-900; }

# berth_api_event STEP [MESSAGE] [STATE]: one step into the node's timeline
# (with the image, when BERTH_IMAGE is set), optionally a deployment state; berth_api's status.
berth_api_event() {
  _be_detail=
  [ -z "${BERTH_IMAGE:-}" ] || _be_detail="\"image\":\"$(berth_json_text "$BERTH_IMAGE")\""
  [ -z "${2:-}" ] || _be_detail="${_be_detail:+$_be_detail,}\"message\":\"$(berth_json_text "$2")\""
  _be_body="{\"step\":\"$1\""
  [ -z "${3:-}" ] || _be_body="$_be_body,\"state\":\"$3\""
  [ -z "$_be_detail" ] || _be_body="$_be_body,\"detail\":{$_be_detail}"
  berth_api POST "/node/v1/nodes/$BERTH_NODE/events" "$_be_body}" > /dev/null
}

# berth_report STEP [MESSAGE] [STATE]: as berth_api_event, but a report never
# stops the work it reports on: a failure is said on stderr, and nothing is
# sent before the node has a key.
berth_report() {
  berth_api_has_key || return 0
  berth_api_event "$@" || :
}

# berth_host_certificate PUBLIC-KEY-FILE: berth's SSH CA's certificate for
# that host key, one line on stdout (issued for the node's own names and addresses).
berth_host_certificate() {
  _hc_line=$(cut -d' ' -f1,2 < "$1") || return 1
  berth_api POST "/node/v1/nodes/$BERTH_NODE/ssh-host-certificates" "{\"publicKeys\":[\"$_hc_line\"]}"
}
