#!/bin/sh
# dracut mount hook: mounts the image at $NEWROOT for root=berth.
[ "$(getarg root=)" = "berth" ] || return 0
. /usr/lib/berth/berth-boot.sh
berth_log() { info "berth: $*"; }
berth_fail() { die "berth: $*"; }
berth_network_up() { :; }   # dracut's network module brings it up before mount hooks
berth_mount_root "$NEWROOT"
