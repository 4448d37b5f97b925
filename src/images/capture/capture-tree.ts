/**
 * `captureTree`: the filesystem of a running node, over SSH, into a local
 * directory that is then packed like any built tree (`berth image capture`).
 *
 * Order of work, and why:
 * 1. Check the inputs and that `destination` does not exist (never merge into
 *    or replace something).
 * 2. Survey the node (remote-survey.ts): login, source root, GNU tar,
 *    swap files and mounts. Nothing is written locally yet.
 * 3. Make `<destination>.partial-<random>/` with mode 0700 and extract into
 *    its `tree/`. The 0700 parent matters: until the scrub, the tree holds
 *    password hashes, and its owners are the node's numeric IDs, which on
 *    the server may be anyone.
 * 4. Scrub (scrub-tree.ts), count, then rename `tree/` to `destination`: the
 *    destination appears whole and scrubbed, or not at all.
 *
 * Any failure, timeout or abort removes the partial directory. A process
 * killed outright (SIGKILL, power loss) leaves `<destination>.partial-*`,
 * which is safe to delete once no capture to that destination runs.
 */
import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { chmod, lstat, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { BerthError } from '../../errors.ts';
import { captureExclusions } from './capture-exclusions.ts';
import { surveyRemote } from './remote-survey.ts';
import { scrubTree } from './scrub-tree.ts';
import { describeSource, validateTarget } from './ssh-command.ts';
import type { SshTarget } from './ssh-command.ts';
import { transferTree } from './transfer-tree.ts';
import { treeTotals } from './tree-totals.ts';

export interface CaptureOptions extends SshTarget {
  /** Directory on the node to capture; default "/" (a chroot on a build host works too). */
  sourceRoot?: string;
  /** Local directory that must not exist yet; it appears only when the capture is complete. */
  destination: string;
  /** More image paths to leave out, GNU tar wildcards where `*` also matches "/": "/srv/scratch/*". */
  extraExcludes?: string[];
  /** For the whole capture, survey to rename. No limit by default. */
  timeoutMs?: number;
  /** Aborting stops both tars and removes the partial directory; wire the CLI's SIGINT/SIGTERM to it. */
  signal?: AbortSignal;
}

export interface CaptureResult {
  /** Absolute path of the captured tree. */
  destination: string;
  /** Sum of regular files' apparent sizes, hard links counted once. */
  bytes: number;
  /** Entries other than directories, hard links counted once. */
  files: number;
  /** Image-path patterns left on the node (capture-exclusions.ts). */
  excluded: string[];
  /** Image paths rewritten after the transfer (/etc/machine-id, /etc/shadow). */
  scrubbed: string[];
  /** Things a person should know but that did not fail the capture: files that changed while read, files not scrubbed. */
  warnings: string[];
}

/** Logging in takes seconds; a survey that takes longer than this is a hung connection. */
const surveyTimeoutMs = 60_000;

export async function captureTree(options: CaptureOptions): Promise<CaptureResult> {
  const deadline = options.timeoutMs !== undefined ? Date.now() + options.timeoutMs : undefined;
  const sourceRoot = options.sourceRoot ?? '/';
  const extraExcludes = options.extraExcludes ?? [];
  checkInputs(options, sourceRoot, extraExcludes);
  const destination = resolve(options.destination);
  await checkDestination(destination);
  options.signal?.throwIfAborted();

  const remaining = () => (deadline === undefined ? Infinity : deadline - Date.now());
  const survey = await surveyRemote(options, sourceRoot, Math.max(1, Math.min(surveyTimeoutMs, remaining())));
  options.signal?.throwIfAborted();
  const excluded = captureExclusions(survey, extraExcludes);

  const partial = `${destination}.partial-${randomBytes(6).toString('hex')}`;
  await mkdir(partial, { mode: 0o700 });
  let result: CaptureResult;
  try {
    await chmod(partial, 0o700); // mkdir's mode passes through the umask
    const tree = `${partial}/tree`;
    await mkdir(tree, { mode: 0o700 });
    const transfer = await transferTree({
      target: options,
      sourceRoot: survey.physicalRoot,
      excludes: excluded,
      into: tree,
      ...(deadline !== undefined ? { deadline } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
    });
    const scrub = await scrubTree(tree);
    const totals = await treeTotals(tree);
    options.signal?.throwIfAborted();
    if (remaining() <= 0) {
      throw new BerthError('BERTH_SUBPROCESS', `capture of ${describeSource(options, sourceRoot)} did not finish in time; nothing was kept`);
    }
    // Checked again: another capture may have finished to the same place meanwhile,
    // and rename(2) would silently replace an empty directory.
    await checkDestination(destination);
    await rename(tree, destination);
    result = {
      destination,
      bytes: totals.bytes,
      files: totals.files,
      excluded,
      scrubbed: scrub.scrubbed,
      warnings: [...transfer.warnings, ...scrub.warnings],
    };
  } catch (e) {
    await rm(partial, { recursive: true, force: true });
    throw e;
  }
  // The capture is complete; an empty leftover parent is not worth failing it.
  await rm(partial, { recursive: true, force: true }).catch(() => {});
  return result;
}

function checkInputs(options: CaptureOptions, sourceRoot: string, extraExcludes: string[]): void {
  validateTarget(options);
  if (!isAbsolute(sourceRoot) || sourceRoot.includes('\n')) {
    throw new BerthError('BERTH_BAD_INPUT', `source root ${JSON.stringify(sourceRoot)} must be an absolute path on the node without newlines`);
  }
  for (const pattern of extraExcludes) {
    if (!pattern.startsWith('/') || pattern.includes('\n')) {
      throw new BerthError(
        'BERTH_BAD_INPUT',
        `exclude ${JSON.stringify(pattern)} must be an image path starting with "/" (e.g. "/srv/scratch/*"), without newlines`,
      );
    }
  }
  if (options.destination === '') throw new BerthError('BERTH_BAD_INPUT', 'capture destination is empty');
}

async function checkDestination(destination: string): Promise<void> {
  if ((await lstatOrUndefined(destination)) !== undefined) {
    throw new BerthError('BERTH_EXISTS', `capture destination ${destination} already exists; choose a new name or remove it first`);
  }
  const parent = dirname(destination);
  if (!(await lstatOrUndefined(parent))?.isDirectory()) {
    throw new BerthError('BERTH_NOT_FOUND', `capture destination's directory ${parent} does not exist; create it first`);
  }
}

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
