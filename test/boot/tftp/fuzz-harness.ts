/**
 * Generated hostile traffic for the TFTP request path, shared by the test
 * suite (test/boot/tftp/request-handler.fuzz.test.ts, a short run) and
 * bench/tftp-fuzz.ts (a million packets). Packets go through the parser and
 * the RequestHandler with a real RootedFiles over a temp tree that has a
 * secret outside the root, symlinks out, a FIFO and a directory; every
 * open() is recorded so the caller can check nothing outside was opened.
 */
import { execFileSync } from 'node:child_process';
import { promises as fsPromises, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BootEventSource, EventSink } from '../../../src/events/boot-event.ts';
import { encodeRequest, parsePacket, TftpPacketError } from '../../../src/boot/tftp/packet.ts';
import { RequestHandler } from '../../../src/boot/tftp/request-handler.ts';
import { RootedFiles, type FileSystemCalls } from '../../../src/boot/tftp/root-files.ts';
import { seededRandom } from '../../helpers/seeded-random.ts';

const names = [
  'ipxe.efi', '/ipxe.efi', 'sub/grub.cfg', '/sub/./grub.cfg', 'link-inside', 'empty',
  '../secret', '/../secret', '../../../../../../etc/passwd', '/etc/passwd', 'sub/../../secret', 'sub/..',
  '..', '.', '/', '..\\secret', 'sub\\..\\..\\secret', '....//secret', '.../secret', '%2e%2e/secret',
  'link-out', 'link-absolute', 'sub/dir-out/secret', 'sub/dir-out', 'fifo', 'sub', 'loop-a',
  '．．/secret', 'a\nb', 'x'.repeat(2000), 'sub/grub.cfg/', 'ipxe.efi/..', '/proc/self/environ',
];
const modes = ['octet', 'OCTET', 'netascii', 'mail', 'binary', ''];
const optionNames = ['blksize', 'tsize', 'timeout', 'windowsize', 'BLKSIZE', 'utimeout', 'multicast', 'rollover', ''];
const optionValues = ['512', '1468', '8', '7', '0', '65464', '65465', '4294967296', '99999999999999999999', '-1', '0x10', '1e9', '', '255', '256', '65535', '65536', 'NaN'];

export function fuzzPacket(random: () => number): Uint8Array {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const r = random();
  if (r < 0.1) {
    // Pure garbage of any length a UDP socket could deliver to us.
    const out = new Uint8Array(Math.floor(random() * (random() < 0.9 ? 64 : 2000)));
    for (let i = 0; i < out.length; i++) out[i] = Math.floor(random() * 256);
    return out;
  }
  if (r < 0.2) {
    // Other opcodes, some plausible, some not.
    const out = new Uint8Array(Math.floor(random() * 600));
    for (let i = 0; i < out.length; i++) out[i] = random() < 0.5 ? 0 : Math.floor(random() * 256);
    if (out.length >= 2) {
      out[0] = 0;
      out[1] = Math.floor(random() * 9);
    }
    return out;
  }
  const options = Array.from({ length: Math.floor(random() * 6) }, () => ({ name: pick(optionNames), value: pick(optionValues) }));
  let bytes: Uint8Array = encodeRequest({ opcode: random() < 0.9 ? 'rrq' : 'wrq', filename: pick(names), mode: pick(modes) as 'octet', options });
  if (random() < 0.5) bytes = mutate(bytes, random);
  return bytes;
}

function mutate(input: Uint8Array, random: () => number): Uint8Array {
  let bytes: Uint8Array = Uint8Array.from(input);
  const edits = 1 + Math.floor(random() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * (bytes.length + 1));
    const kind = random();
    if (kind < 0.3) bytes = bytes.subarray(0, at); // truncate
    else if (kind < 0.55 && bytes.length > 0) bytes[Math.min(at, bytes.length - 1)] = Math.floor(random() * 256);
    else if (kind < 0.7 && bytes.length > 0) bytes[Math.min(at, bytes.length - 1)] = 0;
    else if (kind < 0.85) bytes = concat(bytes.subarray(0, at), Uint8Array.of(random() < 0.5 ? 0 : 0x2e), bytes.subarray(at));
    else bytes = concat(bytes, bytes.subarray(0, Math.floor(random() * bytes.length))); // repeat a prefix
  }
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export interface FuzzResult {
  packets: number;
  accepted: number;
  /** Outcomes the handler reported as dropped. */
  droppedOutcomes: number;
  /** countDropped calls seen by the sink, by reason. */
  dropCounts: Map<string, number>;
  events: number;
  parseErrors: number;
  /** Paths handed to open(); all must be under `root`. */
  opened: Set<string>;
  openedOutside: string[];
  /** Anything thrown that should not have been. */
  escaped: string[];
  root: string;
  seconds: number;
}

/** Runs `count` packets with `concurrency` in flight; cleans its temp tree up. */
export async function runTftpFuzz(count: number, seed: number, concurrency = 32): Promise<FuzzResult> {
  const base = mkdtempSync(join(tmpdir(), 'berth-tftp-fuzz-'));
  try {
    const rootDir = join(base, 'root');
    mkdirSync(join(rootDir, 'sub'), { recursive: true });
    writeFileSync(join(base, 'secret'), 'secret');
    writeFileSync(join(rootDir, 'ipxe.efi'), Buffer.alloc(4096, 7));
    writeFileSync(join(rootDir, 'empty'), '');
    writeFileSync(join(rootDir, 'sub', 'grub.cfg'), 'menu');
    symlinkSync('sub/grub.cfg', join(rootDir, 'link-inside'));
    symlinkSync('../secret', join(rootDir, 'link-out'));
    symlinkSync('/etc/passwd', join(rootDir, 'link-absolute'));
    symlinkSync(base, join(rootDir, 'sub', 'dir-out'));
    symlinkSync('loop-b', join(rootDir, 'loop-a'));
    symlinkSync('loop-a', join(rootDir, 'loop-b'));
    execFileSync('mkfifo', [join(rootDir, 'fifo')]);
    const realRoot = realpathSync(rootDir);

    const result: FuzzResult = {
      packets: 0, accepted: 0, droppedOutcomes: 0, dropCounts: new Map(), events: 0, parseErrors: 0,
      opened: new Set(), openedOutside: [], escaped: [], root: realRoot, seconds: 0,
    };
    const recordingFs: FileSystemCalls = {
      realpath: (p) => fsPromises.realpath(p),
      stat: (p) => fsPromises.stat(p),
      readlink: (p) => fsPromises.readlink(p),
      open: (p, flags) => {
        result.opened.add(p);
        if (!p.startsWith(`${realRoot}/`)) result.openedOutside.push(p);
        return fsPromises.open(p, flags);
      },
    };
    const sink: EventSink = {
      emit: () => void result.events++,
      countDropped: (source: BootEventSource, reason: string) => {
        const key = `${source}:${reason}`;
        result.dropCounts.set(key, (result.dropCounts.get(key) ?? 0) + 1);
      },
    };
    const handler = new RequestHandler({ files: await RootedFiles.at(realRoot, recordingFs), events: sink, resolveNode: (ip) => (ip === '10.0.0.5' ? 'n5' : undefined) });
    const random = seededRandom(seed);
    const started = process.hrtime.bigint();

    const one = async (packet: Uint8Array) => {
      try {
        parsePacket(packet);
      } catch (e) {
        if (e instanceof TftpPacketError) result.parseErrors++;
        else result.escaped.push(`parsePacket threw ${(e as Error).stack}`);
      }
      try {
        const outcome = await handler.handle(packet, { address: random() < 0.5 ? '10.0.0.5' : '10.0.0.9', port: 2000 });
        if (outcome.kind === 'accepted') {
          result.accepted++;
          if (!outcome.opened.path.startsWith(`${realRoot}/`)) result.openedOutside.push(outcome.opened.path);
          await outcome.opened.close();
        } else {
          result.droppedOutcomes++;
          if (outcome.reason === 'internal-error') result.escaped.push(`internal error for ${Buffer.from(packet).toString('hex')}: ${outcome.reply?.toString('latin1')}`);
        }
      } catch (e) {
        result.escaped.push(`handle rejected: ${(e as Error).stack}`);
      }
    };
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next++;
        result.packets++;
        await one(fuzzPacket(random));
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    result.seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return result;
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
