/**
 * The layout of berth's state dir (default /var/lib/berth). Every path the
 * server keeps on disk is named here and nowhere else, so moving a file means
 * changing one line, and `ls /var/lib/berth` reads like this list:
 *
 *   store.db 0600  the store (SQLite; -wal and -shm beside it, 0600 too): holds password hashes
 *   admin.sock     unix socket of the admin API (root, or `api.socket_group`)
 *   server.lock    who runs `berth serve` on this dir (instance-lock.ts)
 *   images/        packed, immutable OS images
 *   trees/         unpacked image trees being built
 *   media/         imported install media
 *   profiles/      deployment profiles
 *   ipxe/          a trusting iPXE build, if made (berth boot build-ipxe; boot/ipxe/build/)
 *   cache/         downloads kept between runs (iPXE source)
 *   private/ 0700  secrets: TLS CA key, server key (pki.ts), SSH CA key (ssh/ssh-ca.ts),
 *                  the install token key (deploy/install-tokens.ts)
 *   public/        served to anyone, nodes included: the CA certificate, the SSH CA public key
 */
import { chmod, lstat, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError } from '../errors.ts';
import { sqliteFiles } from '../store/sqlite/sqlite-store.ts';
import type { Logger } from '../util/logger.ts';

export const defaultStateDir = '/var/lib/berth';

export interface StateDirLayout {
  root: string;
  storeDb: string;
  adminSocket: string;
  serverLock: string;
  images: string;
  trees: string;
  media: string;
  profiles: string;
  /** The TFTP root: copies of the loaders berth serves. */
  tftp: string;
  /** A trusting iPXE build (boot/ipxe/build/): loaders and build.json. */
  ipxe: string;
  cache: string;
  privateDir: string;
  publicDir: string;
  tls: {
    /** The authoritative CA certificate, beside its key. */
    caCert: string;
    caKey: string;
    serverCert: string;
    serverKey: string;
    /** Copy of caCert in public/, what nodes and admins download to trust berth. */
    publicCaCert: string;
  };
  ssh: {
    /** The SSH certificate authority's private key (OpenSSH format, ed25519). */
    caKey: string;
    /** The last certificate serial issued, so serials never repeat even if the clock steps back. */
    caSerial: string;
    /** Copy of the CA public key in public/, for known_hosts `@cert-authority` lines. */
    publicCaKey: string;
  };
  /** Secret from which each scripted install's URL token is derived (deploy/install-tokens.ts). */
  installTokenKey: string;
}

export function stateDirLayout(root: string = defaultStateDir): StateDirLayout {
  const privateDir = join(root, 'private');
  const publicDir = join(root, 'public');
  return {
    root,
    storeDb: join(root, 'store.db'),
    adminSocket: join(root, 'admin.sock'),
    serverLock: join(root, 'server.lock'),
    images: join(root, 'images'),
    trees: join(root, 'trees'),
    media: join(root, 'media'),
    profiles: join(root, 'profiles'),
    tftp: join(root, 'tftp'),
    ipxe: join(root, 'ipxe'),
    cache: join(root, 'cache'),
    privateDir,
    publicDir,
    tls: {
      caCert: join(privateDir, 'ca.pem'),
      caKey: join(privateDir, 'ca-key.pem'),
      serverCert: join(privateDir, 'server.pem'),
      serverKey: join(privateDir, 'server-key.pem'),
      publicCaCert: join(publicDir, 'ca.pem'),
    },
    ssh: {
      caKey: join(privateDir, 'ssh-ca'),
      caSerial: join(privateDir, 'ssh-ca.serial'),
      publicCaKey: join(publicDir, 'ssh-ca.pub'),
    },
    installTokenKey: join(privateDir, 'install-token.key'),
  };
}

export interface PreparedStateDir {
  layout: StateDirLayout;
  /** Human-readable repairs made (also logged as warnings), e.g. a private/ that was 0755. */
  repairs: string[];
}

/**
 * Creates the state dir and its folders, and repairs modes that would leak
 * secrets. Repairs rather than refuses: a private/ left 0755 by a restore from
 * backup should not keep the server down, but the admin must hear about it.
 * What cannot be repaired (a path that is a file, a private/ that is a
 * symlink or owned by someone else) is refused with BERTH_CONFIG.
 */
export async function prepareStateDir(root: string = defaultStateDir, log?: Logger): Promise<PreparedStateDir> {
  const layout = stateDirLayout(root);
  const repairs: string[] = [];
  const repair = async (path: string, mode: number, why: string) => {
    await chmod(path, mode);
    const text = `${why}; changed mode of ${path} to ${mode.toString(8).padStart(4, '0')}`;
    repairs.push(text);
    log?.warn(text, { path });
  };

  await ensureDir(layout.root, 0o755, { parents: true });
  const rootStat = await stat(layout.root);
  // Anyone who can write the root can swap private/ for their own directory.
  if ((rootStat.mode & 0o022) !== 0) {
    await repair(layout.root, rootStat.mode & 0o755, `state dir ${layout.root} was writable by group or others`);
  }

  for (const dir of [layout.images, layout.trees, layout.media, layout.profiles, layout.publicDir]) {
    await ensureDir(dir, 0o755);
  }

  await ensureDir(layout.privateDir, 0o700, { noSymlink: true });
  const privStat = await lstat(layout.privateDir);
  const uid = process.getuid?.();
  if (uid !== undefined && privStat.uid !== uid) {
    throw new BerthError(
      'BERTH_CONFIG',
      `${layout.privateDir} is owned by uid ${privStat.uid}, not by the user running berth (uid ${uid}); ` +
        `it holds the TLS keys, so fix its owner (chown -R ${uid} ${layout.privateDir})`,
      { file: layout.privateDir },
    );
  }
  if ((privStat.mode & 0o777) !== 0o700) {
    await repair(layout.privateDir, 0o700, `${layout.privateDir} had mode ${(privStat.mode & 0o777).toString(8)}, keys must not be readable by others`);
  }
  for (const name of await readdir(layout.privateDir)) {
    const path = join(layout.privateDir, name);
    const st = await lstat(path);
    if (st.isFile() && (st.mode & 0o077) !== 0) {
      await repair(path, st.mode & 0o700, `${path} was readable by group or others`);
    }
  }
  // The store holds password hashes and token hashes; the store creates its files 0600 (sqlite-store.ts).
  for (const path of sqliteFiles(layout.storeDb)) {
    const st = await lstat(path).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (st?.isFile() && (st.mode & 0o077) !== 0) {
      await repair(path, st.mode & 0o700, `${path} was readable by group or others, and it holds password hashes`);
    }
  }
  return { layout, repairs };
}

/**
 * mkdir with an exact mode (mkdir's mode is filtered by the umask). Existing
 * directories keep their mode; symbolic links are followed unless
 * `noSymlink`, since moving images/ to a bigger disk with a link is normal,
 * while a link at private/ could point keys anywhere.
 */
async function ensureDir(path: string, mode: number, opts: { noSymlink?: boolean; parents?: boolean } = {}): Promise<void> {
  try {
    const created = await mkdir(path, { mode, recursive: opts.parents ?? false });
    if (created !== undefined || !opts.parents) {
      await chmod(path, mode);
      return;
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new BerthError('BERTH_CONFIG', `cannot create ${path}: ${(e as Error).message}`, { file: path });
    }
  }
  const st = opts.noSymlink ? await lstat(path) : await stat(path);
  if (!st.isDirectory()) {
    const what = st.isSymbolicLink() ? 'a symbolic link' : 'not a directory';
    throw new BerthError('BERTH_CONFIG', `${path} is ${what}; berth needs a real directory there`, { file: path });
  }
}
