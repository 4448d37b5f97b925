/**
 * Certificate serial numbers for the SSH CA. A serial is what a key
 * revocation list (`ssh-keygen -k -z`) names, so two certificates must never
 * share one: revoking a stolen node's certificate must not revoke another's.
 *
 * A serial is the time in milliseconds shifted left by 20 bits (room for a
 * million per millisecond; below 2^63 until the year 2248), and always
 * greater than the last one issued, which is kept in private/ssh-ca.serial
 * and written *before* the certificate is signed: a crash between the two
 * wastes a serial, never repeats one, and a clock stepped backwards (an NTP
 * correction, a restored VM) does not reuse the serials of the future it
 * came from. Time-based rather than a plain counter so the serial also says
 * roughly when a certificate was made.
 */
import { BerthError } from '../errors.ts';
import { readIfExists, writeAtomic } from '../util/files.ts';

const shift = 20n;
const limit = 2n ** 63n;

/** One allocation at a time per serial file; concurrent boots each get their own serial. */
const queues = new Map<string, Promise<unknown>>();

export function nextSerial(serialFile: string, now: () => number = Date.now): Promise<bigint> {
  const previous = queues.get(serialFile) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => allocate(serialFile, now));
  queues.set(serialFile, next);
  // Drop the queue entry once idle, so a long-running server holds no stale promises.
  void next.finally(() => {
    if (queues.get(serialFile) === next) queues.delete(serialFile);
  }).catch(() => undefined);
  return next;
}

async function allocate(serialFile: string, now: () => number): Promise<bigint> {
  const text = (await readIfExists(serialFile))?.trim();
  if (text !== undefined && !/^\d{1,19}$/.test(text)) {
    throw new BerthError(
      'BERTH_CONFIG',
      `${serialFile} should hold the last SSH certificate serial (a decimal number), not ${JSON.stringify(text.slice(0, 40))}; ` +
        'remove it (new serials are time-based, so none issued before will repeat unless the clock is wrong)',
      { file: serialFile },
    );
  }
  const last = text === undefined ? 0n : BigInt(text);
  const fromClock = BigInt(Math.floor(now())) << shift;
  const serial = fromClock > last ? fromClock : last + 1n;
  if (serial >= limit) throw new BerthError('BERTH_CONFIG', `${serialFile} holds serial ${last}, at the end of the 63-bit range; check the system clock`, { file: serialFile });
  await writeAtomic(serialFile, `${serial}\n`, 0o600);
  return serial;
}
