# berth node-side core: the node API key. Sourced by berth-boot.sh.
#
# berth_get_key: from the TPM when one holds it sealed (and berth still takes
# it), else asked of berth (granted only while the node is armed) and retried
# with back-off.
# berth_keep_key ROOT: after boot-env, keeps the key as the key policy
# (BERTH_KEY_POLICY from boot-env, attribute deployment.key_policy) says:
#   tpm    sealed in the TPM under a PCR 15 policy; later boots need no arming
#          (a node without a TPM falls back to ram, and says so)
#   ram    only in /run/berth for the running OS; the next boot needs arming
#   rearm  dropped once the OS has reported booted (berth-report); every boot
#          needs arming
# berth_lock_tpm: extends PCR 15 so the booted OS cannot unseal the key.
#
# The sealed key is a keyed-hash object at the persistent handle 0x8100BE47
# (owner hierarchy), created under the owner's ECC primary key with the
# policy "PCR 15 (sha256 bank) is all zeros". PCR 15 is zero after every
# TPM reset and nothing before berth extends it, so only this initramfs,
# before berth_lock_tpm, can unseal it. The policy is computed against
# explicit zeros rather than the current value, so the key can be sealed
# after PCR 15 has been extended; it is extended as soon as the key has been
# unsealed (berth_get_key), which leaves no window for an emergency shell.
#
# The key is never written to a log, a command line (tpm2_create reads it on
# stdin from the shell's builtin printf) or a disk: /run is a tmpfs.
#
# With /dev/tpmrm0 the kernel's resource manager flushes what each tpm2 tool
# loaded when it exits; with only /dev/tpm0 the objects stay loaded (a TPM has
# three slots or so), so berth_tpm_flush clears them after each tool.

BERTH_TPM_HANDLE=0x8100BE47
BERTH_TPM_PCR=sha256:15

# berth_get_key: BERTH_KEY, also written to /run/berth/node.key (root only).
berth_get_key() {
  [ -n "$BERTH_SERVER" ] || berth_fail "no berth.server= on the kernel command line: cannot reach the node API"
  [ -n "$BERTH_NODE" ] || berth_fail "no berth.node= on the kernel command line"
  [ -r "$BERTH_CA" ] || berth_fail "$BERTH_CA is missing: the site initrd (site.cpio) was not loaded"
  mkdir -p "$BERTH_RUN"
  chmod 700 "$BERTH_RUN"
  BERTH_KEY=
  BERTH_KEY_FROM=
  BERTH_TPM=
  _refused=
  if berth_tpm_found; then
    BERTH_TPM=1
    if berth_tpm_unseal; then
      if berth_key_accepted; then
        BERTH_KEY_FROM=tpm
      else
        BERTH_KEY=
        _refused=1
        berth_log "berth refused the key sealed in the TPM (revoked or replaced): asking for a new one, which needs the node armed"
      fi
    fi
    # From here on nothing can unseal the key, whether this boot goes on or ends in a shell.
    berth_tpm_extend "berth: key phase over for $BERTH_NODE" || berth_log "could not extend PCR 15 yet: $BERTH_TPM_ERROR"
  fi
  [ -n "$BERTH_KEY" ] || berth_request_key
  umask 077
  printf '%s\n' "$BERTH_KEY" > "$BERTH_RUN/node.key"
  umask 022
  if [ -n "$_refused" ]; then
    berth_report key-refused "berth refused the key sealed in this node's TPM (revoked or replaced); a new key was granted while armed"
  fi
}

# berth_request_key: asks berth until it grants a key (the node must be armed); sets BERTH_KEY.
berth_request_key() {
  _delay=5
  while :; do
    # The answer is the key alone (berth-api.sh asks for text/plain), or why not on stderr.
    if _key=$(berth_api POST /node/v1/key "{\"node\":\"$BERTH_NODE\"}" 2>&1); then
      if berth_key_shaped "$_key"; then
        BERTH_KEY=$_key
        _key=
        break
      fi
      _key="berth's answer is not a node key"
    fi
    berth_log "no node key yet: $_key; asking again in ${_delay} s"
    _key=
    sleep "$_delay"
    [ "$_delay" -lt 60 ] && _delay=$((_delay * 2))
  done
  BERTH_KEY_FROM=berth
  berth_report key-received
}

# berth_key_shaped TEXT: whether TEXT looks like a node key (43 characters of base64url).
berth_key_shaped() {
  case "$1" in *[!A-Za-z0-9_-]*|'') return 1 ;; esac
  [ "${#1}" -eq 43 ]
}

# berth_key_accepted: whether berth takes the unsealed key, asked by reporting
# key-unsealed with it. A 401 (berth_api status 3) is a refusal; anything else
# (no network, berth down) is retried: a sealed key is not thrown away because berth is away.
berth_key_accepted() {
  _delay=5
  while :; do
    _reply=$(berth_api_event key-unsealed "the node key sealed in the TPM, unsealed while PCR 15 was still zero" 2>&1) && return 0
    [ "$?" -eq 3 ] && return 1
    berth_log "berth did not answer for the unsealed key (${_reply}); asking again in ${_delay} s"
    sleep "$_delay"
    [ "$_delay" -lt 60 ] && _delay=$((_delay * 2))
  done
}

# berth_keep_key ROOT: as BERTH_KEY_POLICY says; records the policy in /run/berth/env for berth-report.
berth_keep_key() {
  _policy=${BERTH_KEY_POLICY:-tpm}
  case "$_policy" in
    tpm|ram|rearm) ;;
    *) berth_report key-in-ram "unknown key policy '$_policy' (tpm, ram or rearm): keeping the key in RAM only"; _policy=ram ;;
  esac
  if [ "$_policy" = tpm ] && [ -z "$BERTH_TPM" ]; then
    berth_report key-in-ram "key policy tpm, but this node has no TPM 2.0: the key stays in RAM only and the next boot needs arming"
    _policy=ram
  elif [ "$_policy" = tpm ]; then
    if [ "$BERTH_KEY_FROM" != tpm ]; then
      if berth_tpm_seal; then
        berth_report key-sealed "sealed in the TPM at $BERTH_TPM_HANDLE under a policy on PCR 15 ($BERTH_TPM_PCR) being zero: the next boots need no arming"
      else
        berth_report key-seal-failed "could not seal the key in the TPM ($BERTH_TPM_ERROR): it stays in RAM only and the next boot needs arming"
        _policy=ram
      fi
    fi
  else
    _gone=
    if [ -n "$BERTH_TPM" ]; then
      if ! berth_tpm_forget; then
        _gone="; the key sealed in the TPM by an earlier boot could not be removed ($BERTH_TPM_ERROR)"
      elif [ -n "$BERTH_TPM_REMOVED" ]; then
        _gone="; the key sealed in the TPM by an earlier boot was removed"
      fi
    fi
    if [ "$_policy" = ram ]; then
      berth_report key-in-ram "key policy ram: the key stays in RAM for the running system; the next boot needs arming$_gone"
    else
      berth_report key-rearm "key policy rearm: the key is dropped once the system reports booted; every boot needs arming$_gone"
    fi
  fi
  echo "BERTH_KEY_POLICY='$_policy'" >> "$BERTH_RUN/env"
}

# berth_lock_tpm: PCR 15 extended with the image's measurement; after this the
# sealed key cannot be unsealed until the TPM is reset (the next boot).
berth_lock_tpm() {
  [ -n "$BERTH_TPM" ] || return 0
  if ! berth_tpm_extend "berth $BERTH_IMAGE $BERTH_VERITY_ROOT_HASH"; then
    # The booted OS must not be able to unseal the key: if PCR 15 cannot be
    # extended, the key goes out of the TPM, and the next boot needs arming.
    _why=$BERTH_TPM_ERROR
    berth_tpm_forget || berth_fail_reported tpm-lock-failed "cannot extend PCR 15 ($_why) nor remove the sealed key ($BERTH_TPM_ERROR): not booting an OS that could unseal it"
    berth_report tpm-lock-failed "cannot extend PCR 15 ($_why): no key is left sealed in the TPM; the next boot needs arming"
    return 0
  fi
  _pcr=$(tpm2_pcrread "$BERTH_TPM_PCR" 2>/dev/null | sed -n 's/.*15: *\(0x[0-9A-Fa-f]*\).*/\1/p')
  berth_tpm_flush
  berth_report tpm-locked "PCR 15 extended with the measurement of $BERTH_IMAGE (root hash $BERTH_VERITY_ROOT_HASH): ${BERTH_TPM_PCR} = ${_pcr:-?}; the booted system cannot unseal the key"
}

# berth_tpm_found: whether the node has a TPM 2.0 and the tools to use it; sets TPM2TOOLS_TCTI.
berth_tpm_found() {
  if [ ! -e /dev/tpmrm0 ] && [ ! -e /dev/tpm0 ]; then
    # Built into Debian's kernel; modules on others. Probing is synchronous, so the device is there when modprobe returns.
    modprobe tpm_tis 2>/dev/null
    modprobe tpm_crb 2>/dev/null
  fi
  if [ -e /dev/tpmrm0 ]; then
    TPM2TOOLS_TCTI=device:/dev/tpmrm0
  elif [ -e /dev/tpm0 ]; then
    TPM2TOOLS_TCTI=device:/dev/tpm0
  else
    return 1
  fi
  export TPM2TOOLS_TCTI
  command -v tpm2_unseal >/dev/null 2>&1 && return 0
  berth_log "this node has a TPM, but the initramfs has no tpm2-tools: the TPM is not used"
  return 1
}

# berth_tpm_has_key: whether an object sits at berth's handle.
berth_tpm_has_key() {
  _handles=$(tpm2_getcap handles-persistent 2>/dev/null) || return 1
  case "$_handles" in *"$BERTH_TPM_HANDLE"*) return 0 ;; esac
  return 1
}

# berth_tpm_unseal: BERTH_KEY from the TPM; false (and why in the log) when there is none or it does not unseal.
berth_tpm_unseal() {
  berth_tpm_has_key || { berth_log "no node key sealed in this TPM yet"; return 1; }
  _key=$(tpm2_unseal -c "$BERTH_TPM_HANDLE" -p "pcr:$BERTH_TPM_PCR" 2>"$BERTH_RUN/tpm.err")
  _rc=$?
  berth_tpm_flush
  if [ "$_rc" -ne 0 ]; then
    berth_log "the key sealed in the TPM does not unseal (is PCR 15 still zero?): $(sed -n '$p' "$BERTH_RUN/tpm.err")"
    return 1
  fi
  berth_key_shaped "$_key" || { _key=; berth_log "what the TPM holds at $BERTH_TPM_HANDLE is not a berth node key"; return 1; }
  BERTH_KEY=$_key
  _key=
  berth_log "node key unsealed from the TPM"
}

# berth_tpm_seal: BERTH_KEY into the TPM at BERTH_TPM_HANDLE, replacing what
# was there; on failure BERTH_TPM_ERROR says why. The object is made and
# loaded first, so a failure leaves the older one in place.
berth_tpm_seal() {
  _t="$BERTH_RUN/tpm"
  mkdir -p "$_t"
  # The policy's PCR value: 32 zero bytes (sha256), written by the shell's printf.
  printf '\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000' > "$_t/pcr15.zero"
  BERTH_TPM_ERROR=
  if ! tpm2_createprimary -Q -C o -g sha256 -G ecc -c "$_t/primary.ctx" 2>"$_t/err"; then
    BERTH_TPM_ERROR="tpm2_createprimary: $(sed -n '$p' "$_t/err")"
  elif ! { berth_tpm_flush; tpm2_createpolicy -Q --policy-pcr -l "$BERTH_TPM_PCR" -f "$_t/pcr15.zero" -L "$_t/policy" 2>"$_t/err"; }; then
    BERTH_TPM_ERROR="tpm2_createpolicy: $(sed -n '$p' "$_t/err")"
  elif ! { berth_tpm_flush; printf '%s' "$BERTH_KEY" | tpm2_create -Q -C "$_t/primary.ctx" -g sha256 -a 'fixedtpm|fixedparent|noda' \
      -L "$_t/policy" -i - -u "$_t/seal.pub" -r "$_t/seal.priv" 2>"$_t/err"; }; then
    BERTH_TPM_ERROR="tpm2_create: $(sed -n '$p' "$_t/err")"
  elif ! { berth_tpm_flush; tpm2_load -Q -C "$_t/primary.ctx" -u "$_t/seal.pub" -r "$_t/seal.priv" -c "$_t/seal.ctx" 2>"$_t/err"; }; then
    BERTH_TPM_ERROR="tpm2_load: $(sed -n '$p' "$_t/err")"
  else
    berth_tpm_has_key && { tpm2_evictcontrol -Q -C o -c "$BERTH_TPM_HANDLE" 2>"$_t/err" || BERTH_TPM_ERROR="removing the older key: $(sed -n '$p' "$_t/err")"; }
    if [ -z "$BERTH_TPM_ERROR" ] && ! tpm2_evictcontrol -Q -C o -c "$_t/seal.ctx" "$BERTH_TPM_HANDLE" 2>"$_t/err"; then
      BERTH_TPM_ERROR="tpm2_evictcontrol: $(sed -n '$p' "$_t/err")"
    fi
  fi
  berth_tpm_flush
  rm -rf "$_t"
  [ -z "$BERTH_TPM_ERROR" ]
}

# berth_tpm_forget: removes the sealed key, if there is one (BERTH_TPM_REMOVED=1 then); false only when it is there and stays.
berth_tpm_forget() {
  BERTH_TPM_REMOVED=
  berth_tpm_has_key || return 0
  tpm2_evictcontrol -Q -C o -c "$BERTH_TPM_HANDLE" 2>"$BERTH_RUN/tpm.err" && { BERTH_TPM_REMOVED=1; return 0; }
  BERTH_TPM_ERROR=$(sed -n '$p' "$BERTH_RUN/tpm.err")
  return 1
}

# berth_tpm_extend TEXT: PCR 15 extended (in every bank) with TEXT's digest; on failure BERTH_TPM_ERROR says why.
berth_tpm_extend() {
  if printf '%s' "$1" | tpm2_pcrevent 15 >/dev/null 2>"$BERTH_RUN/tpm.err"; then
    berth_tpm_flush
    return 0
  fi
  BERTH_TPM_ERROR=$(sed -n '$p' "$BERTH_RUN/tpm.err")
  return 1
}

# berth_tpm_flush: clears loaded objects and sessions when there is no resource manager to do it.
berth_tpm_flush() {
  [ "$TPM2TOOLS_TCTI" = device:/dev/tpmrm0 ] && return 0
  tpm2_flushcontext -t >/dev/null 2>&1
  tpm2_flushcontext -s >/dev/null 2>&1
  return 0
}
