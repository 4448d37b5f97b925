# berth-post.sh: the end of a scripted install (Kickstart %post, preseed
# late_command, autoinstall late-commands, AutoYaST chroot script, Agama post,
# ESXi is different), run with sh inside the installed system's root by the
# distribution's installer. berth serves it per node at
# /install/<node>/<token>/post.sh with these lines put in front:
#   BERTH_NODE, BERTH_PROFILE, BERTH_MEDIA, BERTH_SERVER (node API, HTTPS),
#   BERTH_CALLBACK (this deployment's plain-HTTP base, token included),
#   and berth's CA certificate written to /etc/berth/ca.pem.
#
# It turns the fresh system into one berth knows: the node key (granted only
# while the node is armed, to its own address), /etc/berth/node.env, the
# report/firstboot/SSH-renewal units, the profile's post.d (run now) and
# firstboot.d (left for the first boot), SSH host certificates from berth's
# CA; then reports `installed`, after which berth's iPXE script sends the
# node to its disk. Needs curl, tar, base64 and sed in the target (the
# families' templates install curl).
set -u
umask 022
BERTH_RUN=$(mktemp -d /tmp/berth-post.XXXXXX)
export LC_ALL=C

# berth_token_report STEP STATE REASON: into the timeline with the install
# token (before the node has its key, and for failures at any time).
berth_token_report() {
  curl --silent --max-time 20 --retry 3 -G "$BERTH_CALLBACK/report" --data-urlencode "step=$1" \
    ${2:+--data-urlencode "state=$2"} --data-urlencode "reason=$(printf '%s' "$3" | cut -c1-900)" > /dev/null || true
}

berth_post_fail() {
  berth_token_report "${2:-post-failed}" failed "$1"
  echo "berth: $1" >&2
  exit 1
}

# berth_api METHOD PATH [BODY]: the node API with the node's key (on stdin, not on a command line).
berth_api() {
  printf 'Authorization: BerthNode %s:%s\n' "$BERTH_NODE" "$(cat /etc/berth/node.key)" |
    curl --silent --show-error --fail-with-body --max-time 60 --retry 3 --cacert /etc/berth/ca.pem -H @- \
      ${3:+-H 'Content-Type: application/json' --data "$3"} -X "$1" "$BERTH_SERVER$2"
}

berth_token_report post post "post-install of $BERTH_PROFILE from $BERTH_MEDIA started"
command -v curl > /dev/null || berth_post_fail "the installed system has no curl"
mkdir -p /etc/berth /usr/lib/berth /var/lib/berth /var/log/berth

curl --silent --show-error --fail --max-time 120 --retry 3 -o "$BERTH_RUN/node-support.tar" "$BERTH_CALLBACK/node-support.tar" ||
  berth_post_fail "cannot fetch berth's node support files from $BERTH_CALLBACK"
tar -x -f "$BERTH_RUN/node-support.tar" -C / || berth_post_fail "cannot unpack berth's node support files"

# The key: asked for once, while the node is armed, from its own address.
reply=$(curl --silent --show-error --max-time 60 --retry 3 --cacert /etc/berth/ca.pem -H 'Content-Type: application/json' \
  --data "{\"node\":\"$BERTH_NODE\"}" "$BERTH_SERVER/node/v1/key") || berth_post_fail "no answer from berth at $BERTH_SERVER for the node key: $reply" key-refused
key=$(printf '%s' "$reply" | sed -n 's/.*"key":"\([A-Za-z0-9_-]*\)".*/\1/p')
[ -n "$key" ] || berth_post_fail "berth refused the node key: $reply" key-refused
umask 077
printf '%s\n' "$key" > /etc/berth/node.key
umask 022
cat > /etc/berth/node.env <<ENV
BERTH_NODE='$BERTH_NODE'
BERTH_SERVER='$BERTH_SERVER'
BERTH_IMAGE='$BERTH_MEDIA'
BERTH_PROFILE='$BERTH_PROFILE'
BERTH_METHOD='installtodisk'
BERTH_DISK=''
BERTH_KEY_POLICY=''
ENV
# From here the node's key speaks for it: a `once` arming is used up, and with it the install token.
report() { /usr/lib/berth/berth-report "$@" > /dev/null || true; }
fail() {
  report "$2" failed "$1"
  echo "berth: $1" >&2
  exit 1
}

# berth_fetch_scripts FOLDER DIR: the profile's scripts as `<name> <base64>` lines.
berth_fetch_scripts() {
  berth_api GET "/node/v1/nodes/$BERTH_NODE/scripts/$1" > "$BERTH_RUN/$1" || fail "berth did not give the profile's $1 scripts: $(cat "$BERTH_RUN/$1")" post-failed
  mkdir -p "$2"
  count=0
  while read -r name data; do
    [ -n "$name" ] || continue
    case "$name" in .*|*[!A-Za-z0-9_.+-]*) fail "berth sent a $1 script named '$name'" post-failed ;; esac
    printf '%s' "$data" | base64 -d > "$2/$name" || fail "$1/$name does not decode" post-failed
    chmod 755 "$2/$name"
    count=$((count + 1))
  done < "$BERTH_RUN/$1"
}

berth_fetch_scripts firstboot.d /var/lib/berth/firstboot.d
berth_fetch_scripts post.d /var/lib/berth/post.d
ran=0
for script in /var/lib/berth/post.d/*; do
  [ -f "$script" ] || continue
  name=${script##*/}
  echo "== post.d/$name" >> /var/log/berth/post.log
  env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    BERTH_NODE="$BERTH_NODE" BERTH_PROFILE="$BERTH_PROFILE" BERTH_IMAGE="$BERTH_MEDIA" BERTH_SERVER="$BERTH_SERVER" \
    "$script" >> /var/log/berth/post.log 2>&1 || fail "post.d/$name exited with $?: $(tail -c 600 /var/log/berth/post.log)" post-failed
  report post-script '' "post.d/$name done"
  ran=$((ran + 1))
done
rm -rf /var/lib/berth/post.d
[ "$(ls -A /var/lib/berth/firstboot.d)" ] || rmdir /var/lib/berth/firstboot.d

# SSH host certificates from berth's CA for the keys the installer made, and the administrators' keys.
signed=0
if command -v ssh-keygen > /dev/null; then
  [ -e /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -q -A
  mkdir -p /etc/ssh/sshd_config.d
  conf=/etc/ssh/sshd_config.d/50-berth-certificates.conf
  echo "# berth: host certificates signed by berth's SSH CA (renewed by berth-ssh-renew.timer)" > "$conf"
  for pub in /etc/ssh/ssh_host_*_key.pub; do
    [ -e "$pub" ] || continue
    line=$(cut -d' ' -f1,2 < "$pub")
    cert_reply=$(berth_api POST "/node/v1/nodes/$BERTH_NODE/ssh-host-certificates" "{\"publicKeys\":[\"$line\"]}") || { report ssh-certificate-refused '' "$cert_reply"; continue; }
    cert=$(printf '%s' "$cert_reply" | sed -n 's/.*"certificates":\["\([^"]*\)"\].*/\1/p')
    [ -n "$cert" ] || continue
    printf '%s\n' "$cert" > "${pub%.pub}-cert.pub"
    echo "HostCertificate ${pub%.pub}-cert.pub" >> "$conf"
    signed=$((signed + 1))
  done
  # Older sshd (EL8, SLES 15) do not read sshd_config.d: include the file from the main config there.
  grep -qs '^Include /etc/ssh/sshd_config.d/' /etc/ssh/sshd_config || sed -i "1i Include $conf" /etc/ssh/sshd_config
fi
if keys=$(berth_api GET "/node/v1/nodes/$BERTH_NODE/authorized-keys") && [ -n "$keys" ]; then
  mkdir -p /root/.ssh
  chmod 700 /root/.ssh
  printf '%s\n' "$keys" >> /root/.ssh/authorized_keys
  sort -u -o /root/.ssh/authorized_keys /root/.ssh/authorized_keys
  chmod 600 /root/.ssh/authorized_keys
fi

if command -v systemctl > /dev/null; then
  systemctl enable berth-booted.service berth-firstboot.service berth-ssh-renew.timer > /dev/null 2>&1 ||
    fail "systemctl enable of berth's units failed" post-failed
fi
rm -rf "$BERTH_RUN"
sync
report installed installed "installed from $BERTH_MEDIA; $ran post.d scripts ran, $signed SSH host certificates; rebooting from disk"
