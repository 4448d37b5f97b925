/**
 * Reading ISO images: checking that a file is a whole ISO 9660 (or UDF)
 * image, listing it, extracting a few marker files for identification, and
 * extracting all of it. xorriso reads ISO 9660 with Rock Ridge and Joliet;
 * bsdtar (libarchive) the rare image that is UDF only.
 *
 * Why the header is checked by hand: xorriso reads a truncated image without
 * failing (it warns "ISO image size 331s larger than readable size 166s" and
 * extracts what it can), and treats a file that is no ISO at all as a blank
 * medium. The primary volume descriptor (ECMA-119 §8.4, at sector 16) states
 * the volume's size in blocks, so a short file is caught before anything is
 * copied, and the error names the file.
 *
 * Names: `-ecma119_map lowercase` makes xorriso show plain ISO 9660 names
 * (no Rock Ridge, no Joliet: ESXi's installer ISO) in lowercase, as Linux's
 * isofs does, which is how boot.cfg refers to them. It changes nothing on
 * images with Rock Ridge, which is every Linux distribution's.
 */
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BerthError } from '../errors.ts';
import { run, SubprocessError } from '../util/run.ts';
import { identifyTree, MARKER_PATTERNS } from './identify/index.ts';
import type { MediaIdentity } from './identify/index.ts';
import { listedTree, MARKER_MAX_BYTES } from './identify/media-tree.ts';
import type { EntryType, ListedEntry } from './identify/media-tree.ts';

export interface IsoImage {
  path: string;
  bytes: number;
  format: 'iso9660' | 'udf';
  /** The volume identifier (ISO 9660 only), e.g. 'Rocky-9-4-x86_64-dvd'. */
  volumeId?: string;
}

const SECTOR = 2048;
/** Listing a DVD's few thousand names takes seconds; a drive that hangs should not hang the import. */
const LIST_TIMEOUT_MS = 5 * 60_000;

/**
 * Identifies an ISO image from its listing and its marker files, extracted
 * into a scratch folder under `scratchParent` that is removed afterwards:
 * media berth cannot use is refused in seconds, whatever its size.
 */
export async function identifyIso(path: string, scratchParent: string = tmpdir()): Promise<{ image: IsoImage; identity: MediaIdentity }> {
  const image = await inspectIso(path);
  const scratch = await mkdtemp(join(scratchParent, `.identify-${process.pid}-`));
  try {
    const entries = await listIso(image);
    const markers = entries.filter((e) => e.type === 'file' && e.bytes <= MARKER_MAX_BYTES && MARKER_PATTERNS.some((p) => matchesPattern(p, e.path)));
    await extractIsoFiles(
      image,
      markers.map((m) => m.path),
      scratch,
    );
    return { image, identity: await identifyTree(listedTree(path, entries, scratch)) };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** `*` matches one path segment; names compare without case, as the media trees do. */
export function matchesPattern(pattern: string, path: string): boolean {
  const p = pattern.toLowerCase().split('/');
  const s = path.toLowerCase().split('/');
  return p.length === s.length && p.every((part, i) => part === '*' || part === s[i]);
}

/** Checks the image's volume descriptors; refuses a truncated file or one that is no ISO image. */
export async function inspectIso(path: string): Promise<IsoImage> {
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new BerthError('BERTH_NOT_FOUND', `${path} does not exist`, { file: path });
  if (!st.isFile()) throw new BerthError('BERTH_BAD_INPUT', `${path} is neither a folder nor an ISO image file`, { file: path });
  const handle = await open(path, 'r');
  const descriptors = Buffer.alloc(32 * SECTOR);
  let read: number;
  try {
    ({ bytesRead: read } = await handle.read(descriptors, 0, descriptors.length, 16 * SECTOR));
  } finally {
    await handle.close();
  }
  let udf = false;
  for (let offset = 0; offset + SECTOR <= read; offset += SECTOR) {
    const type = descriptors[offset];
    const id = descriptors.toString('latin1', offset + 1, offset + 6);
    if (id === 'CD001' && type === 1) {
      // ECMA-119 §8.4.8: volume space size, both-endian 32 bit at byte 80; §8.4.12: logical block size at byte 128.
      const blocks = descriptors.readUInt32LE(offset + 80);
      const blockSize = descriptors.readUInt16LE(offset + 128) || SECTOR;
      const volumeId = descriptors.toString('latin1', offset + 40, offset + 72).trim();
      const expected = blocks * blockSize;
      if (st.size < expected) {
        throw notAnImage(path, `it has ${st.size} bytes, but its volume descriptor (volume '${volumeId}') says ${expected}`, await xorrisoComplaint(path));
      }
      return { path, bytes: st.size, format: 'iso9660', volumeId };
    }
    if (/^(BEA01|NSR02|NSR03)$/.test(id)) udf = true;
    if (id === 'CD001' && type === 255) break; // volume descriptor set terminator, no primary descriptor before it
  }
  if (udf) return { path, bytes: st.size, format: 'udf' };
  throw notAnImage(path, st.size < 17 * SECTOR ? `it has only ${st.size} bytes, less than the 16 system sectors and a volume descriptor` : 'there is no ISO 9660 volume descriptor at sector 16', await xorrisoComplaint(path));
}

/** Every entry of the image, with sizes; paths relative, without the leading slash. */
export async function listIso(image: IsoImage): Promise<ListedEntry[]> {
  if (image.format === 'udf') {
    const { stdout } = await tool(image, 'bsdtar', ['-tf', image.path], LIST_TIMEOUT_MS);
    return stdout
      .split('\n')
      .filter((l) => l !== '' && l !== '.' && l !== './')
      .map((l) => ({ path: l.replace(/^\.\//, '').replace(/\/$/, ''), type: l.endsWith('/') ? 'dir' : 'file', bytes: 0 }) as ListedEntry);
  }
  const { stdout } = await tool(image, 'xorriso', ['-ecma119_map', 'lowercase', '-indev', image.path, '-find', '/', '-exec', 'lsdl'], LIST_TIMEOUT_MS);
  const entries: ListedEntry[] = [];
  for (const line of stdout.split('\n')) {
    const entry = parseLsdl(line);
    if (entry && entry.path !== '') entries.push(entry);
  }
  return entries;
}

/** Extracts the named files (relative paths, from the listing) into `dir`, under the same relative paths. */
export async function extractIsoFiles(image: IsoImage, paths: string[], dir: string): Promise<void> {
  if (paths.length === 0) return;
  if (image.format === 'udf') {
    await tool(image, 'bsdtar', ['-xf', image.path, '-C', dir, ...paths], LIST_TIMEOUT_MS);
    return;
  }
  await tool(image, 'xorriso', ['-ecma119_map', 'lowercase', '-osirrox', 'on', '-indev', image.path, '-extract_l', '/', `${dir}/`, ...paths.map((p) => `/${p}`), '--'], LIST_TIMEOUT_MS);
}

/** Extracts the whole image into the existing folder `dir`, then makes its folders writable for their owner (ISO folders are often 0555). */
export async function extractIso(image: IsoImage, dir: string): Promise<void> {
  if (image.format === 'udf') await tool(image, 'bsdtar', ['-xf', image.path, '-C', dir]);
  else await tool(image, 'xorriso', ['-ecma119_map', 'lowercase', '-osirrox', 'on', '-indev', image.path, '-extract', '/', dir]);
  await run('chmod', ['-R', 'u+rwX', dir]);
}

/** Runs an ISO tool; its complaints about the image become one clear error naming the file. */
async function tool(image: IsoImage, command: string, args: string[], timeoutMs?: number): Promise<{ stdout: string; stderr: string }> {
  try {
    const result = await run(command, args, timeoutMs === undefined ? {} : { timeoutMs });
    const complaint = imageComplaint(result.stderr);
    if (complaint) throw notAnImage(image.path, `${command} could not read all of it`, complaint);
    return result;
  } catch (e) {
    if (!(e instanceof SubprocessError)) throw e;
    if (/No space left on device/i.test(e.stderr)) throw new BerthError('BERTH_NO_SPACE', `no space left while extracting ${image.path}: ${lastLine(e.stderr)}`, { file: image.path });
    if (e.exitCode === null && !e.timedOut) throw e; // the tool is not installed
    throw notAnImage(image.path, `${command} failed`, imageComplaint(e.stderr) ?? lastLine(e.stderr) ?? e.message);
  }
}

function notAnImage(path: string, why: string, toolMessage: string | undefined): BerthError {
  return new BerthError('BERTH_BAD_INPUT', `${path} is truncated or not an ISO 9660/UDF image: ${why}${toolMessage ? `: ${toolMessage}` : ''}`, { file: path });
}

/** What xorriso says about the image when it is asked to load it, for the error message. */
async function xorrisoComplaint(path: string): Promise<string | undefined> {
  const result = await run('xorriso', ['-indev', path], { allowedExitCodes: [0, 1, 5, 32], timeoutMs: 60_000 }).catch((e: Error) => ({ stderr: e.message }));
  return imageComplaint(result.stderr) ?? (/Media status : is blank/.test(result.stderr) ? 'xorriso: the medium is blank' : undefined);
}

/** The lines in which xorriso or bsdtar say the image is damaged. */
function imageComplaint(stderr: string): string | undefined {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /larger than readable size|No ISO 9660 image|damaged|Unexpected EOF|Truncated|premature end|SORRY|FAILURE|Damaged|Unrecognized archive format/i.test(l))
    .filter((l) => !/NOTE : Tolerated/.test(l));
  return lines.length > 0 ? lines.slice(0, 3).join('; ') : undefined;
}

function lastLine(text: string): string | undefined {
  return text.trimEnd().split('\n').at(-1)?.trim() || undefined;
}

/**
 * One line of xorriso's `lsdl`: `-rw-r--r--    1 0  0  2048 Nov 21 20:01 '/a b/c'`,
 * `lrwxrwxrwx ... '/ubuntu' -> '.'`. Names are shell-quoted: `'it'"'"'s'`.
 */
export function parseLsdl(line: string): ListedEntry | undefined {
  const match = /^(\S)\S*\s+\d+\s+\S+\s+\S+\s+(\d+)\s+\S+\s+\S+\s+\S+\s+(['"].*)$/.exec(line);
  if (!match) return undefined;
  const name = unquote(match[3]!);
  if (name === undefined) return undefined;
  const types: Record<string, EntryType> = { '-': 'file', d: 'dir', l: 'link' };
  return { path: name.replace(/^\/+/, ''), type: types[match[1]!] ?? 'other', bytes: Number(match[2]) };
}

/** The first shell-quoted word of `text` ('...' and "..." pieces glued together). */
function unquote(text: string): string | undefined {
  let out = '';
  let i = 0;
  while (i < text.length && text[i] !== ' ') {
    const quote = text[i];
    if (quote !== "'" && quote !== '"') return undefined;
    const end = text.indexOf(quote, i + 1);
    if (end < 0) return undefined;
    out += text.slice(i + 1, end);
    i = end + 1;
  }
  return out;
}
