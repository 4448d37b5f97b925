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
#
# Until it has unpacked node-support.tar it speaks only to this deployment's
# install callback (plain HTTP, the token in the URL); from then on to the
# node API through the node-side helpers the tar brings
# (/usr/lib/berth/berth-api.sh, berth-scripts.sh), as every node-side script does.
set -u
umask 022
BERTH_RUN=$(mktemp -d /tmp/berth-post.XXXXXX)
BERTH_IMAGE=$BERTH_MEDIA
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

berth_token_report post post "post-install of $BERTH_PROFILE from $BERTH_MEDIA started"
command -v curl > /dev/null || berth_post_fail "the installed system has no curl"
mkdir -p /etc/berth /usr/lib/berth /var/lib/berth /var/log/berth

curl --silent --show-error --fail --max-time 120 --retry 3 -o "$BERTH_RUN/node-support.tar" "$BERTH_CALLBACK/node-support.tar" ||
  berth_post_fail "cannot fetch berth's node support files from $BERTH_CALLBACK"
tar -x -f "$BERTH_RUN/node-support.tar" -C / || berth_post_fail "cannot unpack berth's node support files"
. /usr/lib/berth/berth-api.sh
. /usr/lib/berth/berth-scripts.sh

# The key: asked for once, while the node is armed, from its own address; the answer is the key alone.
key=$(berth_api POST /node/v1/key "{\"node\":\"$BERTH_NODE\"}" 2>&1) || berth_post_fail "berth refused the node key: $key" key-refused
case "$key" in
  *[!A-Za-z0-9_-]*|'') key=; berth_post_fail "berth's answer to the key request is not a node key" key-refused ;;
esac
umask 077
printf '%s\n' "$key" > /etc/berth/node.key
umask 022
key=
BERTH_KEY_FILE=/etc/berth/node.key
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
fail() {
  berth_report "$2" "$1" failed
  echo "berth: $1" >&2
  exit 1
}

berth_scripts_fetch firstboot.d /var/lib/berth/firstboot.d || fail "$BERTH_SCRIPTS_ERROR" post-failed
berth_scripts_fetch post.d /var/lib/berth/post.d || fail "$BERTH_SCRIPTS_ERROR" post-failed
berth_scripts_run post.d /var/lib/berth/post.d /var/log/berth/post.log || fail "$BERTH_SCRIPTS_ERROR" post-failed
ran=$BERTH_SCRIPTS_COUNT
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
    cert=$(berth_host_certificate "$pub" 2>&1) || { berth_report ssh-certificate-refused "$cert"; continue; }
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
berth_report installed "installed from $BERTH_MEDIA; $ran post.d scripts ran, $signed SSH host certificates; rebooting from disk" installed
