#!/bin/bash
# dracut module: berth's boot core for EL and SUSE images, `root=berth`.
check() { return 255; }   # only when asked for (berth adds it in dracut.conf.d)
depends() { echo network; }
installkernel() { instmods dm-verity dm-crypt dm-multipath squashfs overlay xfs zram nbd xts aes; }
install() {
  inst_simple /usr/lib/berth/berth-boot.sh /usr/lib/berth/berth-boot.sh
  inst_multiple -o veritysetup cryptsetup mkfs.xfs zramctl curl
  inst_hook cmdline 90 "$moddir/berth-cmdline.sh"
  inst_hook mount 90 "$moddir/berth-mount-root.sh"
}
