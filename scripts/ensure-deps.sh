#!/bin/sh
# Brings what berth needs onto a fresh Debian 12 machine before npm scripts
# run: the system packages it drives (as root, with apt-get) and the npm
# dependencies, which include the Node.js 24 runtime the scripts then use.
set -eu
cd "$(dirname "$0")/.."

# openssl: berth's CA; ipxe: the loaders berth serves; curl, tftp-hpa: real clients in tests;
# qemu-system-x86, ipxe-qemu, ovmf: the lab's VMs (SeaBIOS and UEFI); dnsmasq-base: router
# advertisements in the lab and the site DHCP server of the proxy-mode test (no service starts);
# iproute2: namespaces and bridges; cpio: tests read the lab's initramfs with it;
# cryptsetup-bin: veritysetup for packed images, and checks berth's image encryption against dm-crypt (in a VM:
# this kernel has no device-mapper); mmdebstrap: builds Debian images; squashfs-tools: mksquashfs/unsquashfs for
# packed images; openssh-client: image capture from a running node (tar over ssh); openssh-server: the capture test's peer.
# libnbd-bin: nbdinfo/nbdcopy, real NBD clients in the NBD server's tests; nbdkit: the standard NBD server bench/nbd.ts compares with.
# nbd-client: the kernel NBD client against berth's NBD server; swtpm, swtpm-tools: a TPM 2.0 per lab VM; tpm2-tools: reads what a VM sealed.
# socat, apt-cacher-ng: the lab's package proxy, Debian's archive for lab VMs through a unix socket (src/lab/package-proxy.ts).
# libxml2-utils: xmllint checks rendered AutoYaST profiles; python3-jsonschema, -yaml, -jinja2, -configobj, -requests,
# -json-pointer: what cloud-init's schema check needs when tests run it from an unpacked (never installed) cloud-init package.
# xorriso, libarchive-tools: berth media import reads ISO 9660/UDF images with them; debian-installer-12-netboot-amd64:
# Debian's netboot installer (kernel, initrd), the media of the scripted-install tests.
packages="xorriso libarchive-tools debian-installer-12-netboot-amd64 openssl curl ca-certificates ipxe tftp-hpa qemu-system-x86 ipxe-qemu ovmf dnsmasq-base iproute2 cpio cryptsetup-bin mmdebstrap squashfs-tools openssh-client openssh-server libnbd-bin nbdkit nbd-client swtpm swtpm-tools tpm2-tools socat apt-cacher-ng libxml2-utils python3-jsonschema python3-yaml python3-jinja2 python3-configobj python3-requests python3-json-pointer"
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "berth needs these Debian packages:$missing (run as root, or: apt-get install$missing)" >&2
    exit 1
  fi
  echo "installing Debian packages:$missing" >&2
  apt-get update -qq
  updated=1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

# The lab fetches the Debian kernel and busybox-static with apt-get download, which needs package lists.
if [ -z "${updated:-}" ] && [ "$(id -u)" -eq 0 ] && ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1; then
  apt-get update -qq
fi

# Reinstall npm dependencies only when the lock file changed since the last install.
if [ ! -x node_modules/node/bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
