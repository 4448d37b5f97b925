#!/bin/bash
# dracut module: berth's boot core for EL and SUSE images, `root=berth`.
check() { return 255; }   # only when asked for (berth adds it in dracut.conf.d)
depends() { echo network; }
installkernel() {
  instmods dm-verity dm-crypt dm-multipath dm-round-robin squashfs overlay xfs zram nbd xts aes
  # The TPM drivers (berth-key.sh); built into some kernels.
  instmods tpm_tis tpm_crb || :
}
install() {
  for part in /usr/lib/berth/berth-*.sh; do inst_simple "$part" "$part"; done
  inst_multiple -o veritysetup cryptsetup mkfs.xfs zramctl curl
  # Tethered (berth-tethered.sh): one NBD path per server, a multipath table over them.
  inst_multiple -o nbd-client dmsetup wc mv grep
  # TPM 2.0 (berth-key.sh): the tools, and the device TCTI, which the TSS dlopen()s by name so no ldd finds it.
  inst_multiple -o tpm2_getcap tpm2_unseal tpm2_pcrread tpm2_pcrevent tpm2_createprimary tpm2_createpolicy tpm2_create tpm2_load tpm2_evictcontrol tpm2_flushcontext
  inst_libdir_file "libtss2-tcti-device.so*"
  inst_hook cmdline 90 "$moddir/berth-cmdline.sh"
  inst_hook mount 90 "$moddir/berth-mount-root.sh"
}
