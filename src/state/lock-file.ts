/**
 * One `berth serve` per state dir: two servers on one store would hand out the
 * same DHCP leases and race on every write.
 *
 * Node has no flock(2), so the lock is a file whose existence is the lock and
 * whose content says who holds it: pid, the process start time from
 * /proc/<pid>/stat, the boot id and the host name. A server killed with -9
 * leaves the file behind; it is stale when its pid is gone, or the pid now
 * belongs to another process (different start time, or a reboot since: boot id),
 * and is then taken over.
 *
 * The races, and what closes them:
 * - Two servers starting at once: the lock is created with link(2) from a
 *   fully written temp file, which fails with EEXIST if the name exists, so
 *   exactly one creation succeeds and nobody ever sees a half-written lock.
 * - Two servers taking over one stale lock: removing a stale lock happens
 *   only under `server.lock.takeover`, created with O_EXCL, and only if the
 *   lock still holds the stale content that was judged. A remover can thus
 *   never delete a fresh lock; both then race on link(2) as above.
 * - The remaining window: a starter killed while holding the takeover guard
 *   leaves the guard behind; it is removed once its holder is dead too. Only
 *   a second crash in that sub-millisecond window plus two simultaneous
 *   starts could defeat this, which a daemon started by systemd never does.
 */
import { randomBytes } from 'node:crypto';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { readFileSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { BerthError } from '../errors.ts';
import { readIfExists } from '../util/files.ts';
import type { Logger } from '../util/logger.ts';
import type { StateDirLayout } from './state-dir.ts';

export interface LockHolder {
  pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks after boot); tells a reused pid apart. */
  startTime: string;
  bootId: string;
  hostname: string;
  /** ISO time, for people reading the file. */
  since: string;
}

export interface InstanceLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** Removes the lock if it is still ours. Safe to call twice. */
  release(): Promise<void>;
  /** For process 'exit' handlers, where nothing asynchronous runs. */
  releaseSync(): void;
}

export interface AcquireOptions {
  log?: Logger;
  /** How long to keep trying while another starter holds the takeover guard. */
  timeoutMs?: number;
}

export async function acquireInstanceLock(layout: StateDirLayout, opts: AcquireOptions = {}): Promise<InstanceLock> {
  const path = layout.serverLock;
  return acquireLockFile(path, {
    ...opts,
    busy: (holder, me) =>
      new BerthError(
        'BERTH_ALREADY_RUNNING',
        holder.hostname === me.hostname
          ? `berth serve is already running on ${layout.root} (pid ${holder.pid})`
          : `berth serve on host ${holder.hostname} (pid ${holder.pid}) holds ${layout.root}; ` +
            `if that server is gone, remove ${path}`,
        { file: path },
      ),
  });
}

export interface LockFileOptions extends AcquireOptions {
  /** The error to throw when a live process holds the lock. */
  busy(holder: LockHolder, me: LockHolder): BerthError;
}

/**
 * The same protocol for any lock file under the state dir, e.g. one per
 * image so two packs of one image cannot both take version n+1.
 */
export async function acquireLockFile(path: string, opts: LockFileOptions): Promise<InstanceLock> {
  const me = await describeProcess(process.pid);
  const mine = JSON.stringify(me) + '\n';
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);

  for (;;) {
    if (await createExclusive(path, mine)) return makeLock(path, me, mine);

    const current = await readIfExists(path);
    if (current === undefined) continue; // released or taken over between our two calls
    const holder = parseHolder(current);
    if (holder !== undefined && (await holderIsAlive(holder)) !== 'dead') throw opts.busy(holder, me);
    if (await removeStale(path, current, me, opts.log)) continue;
    if (Date.now() > deadline) {
      throw new BerthError(
        'BERTH_CONFLICT',
        `another process is taking over ${path} and holds ${path}.takeover; if none is, remove that file`,
        { file: `${path}.takeover` },
      );
    }
    await sleep(20 + Math.random() * 30);
  }
}

/** Creates `path` with `content` iff it does not exist, atomically and never half-written. */
async function createExclusive(path: string, content: string): Promise<boolean> {
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}`;
  await writeFile(temp, content, { mode: 0o644, flag: 'wx' });
  try {
    await link(temp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new BerthError('BERTH_INTERNAL', `cannot create ${path}: ${(e as Error).message}`, { file: path });
  } finally {
    await unlink(temp).catch(() => {});
  }
}

/**
 * Removes the lock if it still holds `staleContent`, under the takeover guard.
 * Returns false when the guard is busy (retry later), true otherwise.
 */
async function removeStale(path: string, staleContent: string, me: LockHolder, log?: Logger): Promise<boolean> {
  const guard = `${path}.takeover`;
  if (!(await createExclusive(guard, JSON.stringify(me) + '\n'))) {
    const guardContent = await readIfExists(guard);
    if (guardContent === undefined) return true;
    const guardHolder = parseHolder(guardContent);
    if (guardHolder !== undefined && (await holderIsAlive(guardHolder)) !== 'dead') return false;
    // The guard of a starter that died mid-takeover (see module comment).
    if ((await readIfExists(guard)) === guardContent) await unlink(guard).catch(() => {});
    return true;
  }
  try {
    if ((await readIfExists(path)) === staleContent) {
      await unlink(path);
      const old = parseHolder(staleContent);
      log?.warn('took over a stale lock; its previous holder did not shut down cleanly', {
        path,
        stalePid: old?.pid,
        staleSince: old?.since,
      });
    }
  } finally {
    await unlink(guard).catch(() => {});
  }
  return true;
}

function makeLock(path: string, holder: LockHolder, content: string): InstanceLock {
  let released = false;
  return {
    path,
    holder,
    async release() {
      if (released) return;
      released = true;
      // Only our own lock: if it was wrongly taken over, deleting the
      // new owner's lock would let a third server start.
      if ((await readIfExists(path)) === content) await unlink(path).catch(() => {});
    },
    releaseSync() {
      if (released) return;
      released = true;
      try {
        if (readFileSync(path, 'utf8') === content) unlinkSync(path);
      } catch {
        // already gone
      }
    },
  };
}

/** What a lock file says about the current process (or, for tests, any local pid). */
export async function describeProcess(pid: number): Promise<LockHolder> {
  return {
    pid,
    startTime: (await processStartTime(pid)) ?? 'unknown',
    bootId: await bootId(),
    hostname: hostname(),
    since: new Date().toISOString(),
  };
}

/**
 * 'alive' when that very process still runs; 'dead' when provably gone;
 * 'unknown' (treated as alive) when it cannot be checked, e.g. another host
 * sharing the state dir over NFS.
 */
export async function holderIsAlive(holder: LockHolder): Promise<'alive' | 'dead' | 'unknown'> {
  if (holder.hostname !== hostname()) return 'unknown';
  if (holder.bootId !== (await bootId())) return 'dead'; // rebooted since
  try {
    process.kill(holder.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return 'dead';
    // EPERM: exists, owned by someone else; go on to compare start times
  }
  const start = await processStartTime(holder.pid);
  if (start === undefined) return 'dead'; // exited between the two checks
  if (holder.startTime === 'unknown') return 'unknown';
  return start === holder.startTime ? 'alive' : 'dead';
}

async function processStartTime(pid: number): Promise<string | undefined> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself contain
  // spaces and parentheses, so count fields from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[22 - 3];
}

let cachedBootId: string | undefined;
async function bootId(): Promise<string> {
  cachedBootId ??= (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => 'unknown')).trim();
  return cachedBootId;
}

function parseHolder(content: string): LockHolder | undefined {
  try {
    const h = JSON.parse(content) as Partial<LockHolder>;
    if (typeof h.pid === 'number' && typeof h.startTime === 'string' && typeof h.bootId === 'string' && typeof h.hostname === 'string') {
      return h as LockHolder;
    }
  } catch {
    // garbage is treated as stale: a lock nobody can attribute protects nothing
  }
  return undefined;
}


function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

