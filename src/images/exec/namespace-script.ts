/**
 * The shell script that turns a fresh set of namespaces into a place to run a
 * command inside an image tree. It runs as PID 1 of a new PID namespace in a
 * new, private mount namespace (util-linux `unshare`, see namespace-exec.ts),
 * so everything it mounts disappears with its last process and nothing ever
 * shows in the host's mount table.
 *
 * Inputs are positional parameters, never spliced into the script: a tree
 * path or a command with quotes in it stays data.
 *   $1 tree root, $2 hostname, $3 host resolv.conf, $4... the command
 *
 * Safety: an image tree is not trusted to have sane mount points. A symlink
 * at `proc` or `etc/resolv.conf` would make `mount` follow it onto a host
 * path, so every target must be a real directory (or file) and not a link.
 */
export const NAMESPACE_SCRIPT = String.raw`
set -eu
root=$1; name=$2; resolv=$3; shift 3
fail() { echo "berth image exec: $*" >&2; exit 125; }
dir() { [ -d "$root/$1" ] && [ ! -L "$root/$1" ] || fail "$root/$1 is not a directory (or is a symbolic link); cannot mount $1 there"; }
for d in proc sys dev run tmp; do
  if [ ! -e "$root/$d" ] && [ ! -L "$root/$d" ]; then mkdir -m 0755 "$root/$d"; fi
done
dir proc; dir sys; dir dev; dir run
mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys"
# A private /dev with only the harmless nodes: the host's disks stay out of
# reach of anything an image's package scripts (or grub-probe) might try.
mount -t tmpfs -o nosuid,mode=0755,size=1m dev "$root/dev"
for n in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
  IFS=: read -r node major minor <<NODE
$n
NODE
  mknod -m 0666 "$root/dev/$node" c "$major" "$minor"
done
mkdir -m 0755 "$root/dev/pts" "$root/dev/shm"
chmod 1777 "$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5,nosuid,noexec devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
mount -t tmpfs -o nosuid,nodev,mode=0755 run "$root/run"
if [ -f "$resolv" ]; then
  if [ -L "$root/etc/resolv.conf" ]; then
    echo "berth image exec: $root/etc/resolv.conf is a symbolic link; the host's resolver is not mounted over it" >&2
  else
    [ -e "$root/etc/resolv.conf" ] || : > "$root/etc/resolv.conf"
    mount --bind "$resolv" "$root/etc/resolv.conf"
    mount -o remount,bind,ro "$root/etc/resolv.conf"
  fi
fi
hostname "$name"
# A clean environment: the host's variables (SSH_AUTH_SOCK, a foreign PATH,
# locale settings the image lacks) are not the image's business.
exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM="$BERTH_TERM" LANG=C.UTF-8 \
  DEBIAN_FRONTEND="$BERTH_DEBIAN_FRONTEND" BERTH_IMAGE="$name" chroot "$root" "$@"
`;
