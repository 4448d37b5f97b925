/**
 * Option negotiation for a read request (RFC 2347): which of the client's
 * options the server acknowledges in its OACK, and with what value. Pure.
 *
 *   blksize    RFC 2348  8..65464 octets. Larger requests are answered with
 *                        the server's maximum (the RFC lets the server reply
 *                        with a smaller value); smaller or non-numeric ones
 *                        are not acknowledged, so the transfer uses 512.
 *   tsize      RFC 2349  the client sends 0 in an RRQ; we answer with the
 *                        file's size. Non-numeric: not acknowledged.
 *   timeout    RFC 2349  1..255 seconds, acknowledged with the same value
 *                        or not at all (the RFC allows no other answer).
 *   windowsize RFC 7440  1..65535 blocks. The server may answer with a
 *                        smaller value; we cap it so a window never needs
 *                        more than `maxWindowBytes` of read buffer.
 *
 * Unknown options are left out of the OACK (RFC 2347: "must not cause an
 * ERROR packet"). A repeated option counts once, the first time. The server
 * never answers a request with ERROR 8: none of these RFCs asks the server to
 * refuse a read over an option value, only to leave the option out.
 */
import { maxBlockSize, type TftpOption } from './packet.ts';

export interface NegotiationLimits {
  /** Upper bound for blksize, ≤ 65464. */
  maxBlksize: number;
  /** Upper bound for windowsize. */
  maxWindowsize: number;
  /** Upper bound for windowsize × blksize: read buffer per transfer. */
  maxWindowBytes: number;
}

export const defaultLimits: NegotiationLimits = { maxBlksize: maxBlockSize, maxWindowsize: 64, maxWindowBytes: 1 << 20 };

export interface NegotiatedOptions {
  blksize: number;
  windowsize: number;
  /** From the timeout option, when acknowledged. */
  timeoutSeconds?: number;
  /** What goes in the OACK, in request order; empty = send no OACK, start with DATA 1 (RFC 2347 §3). */
  acknowledged: TftpOption[];
}

/** RFC 1350's block size, used when blksize is not negotiated. */
export const defaultBlksize = 512;

export function negotiateOptions(requested: readonly TftpOption[], fileSize: number, limits: NegotiationLimits = defaultLimits): NegotiatedOptions {
  const result: NegotiatedOptions = { blksize: defaultBlksize, windowsize: 1, acknowledged: [] };
  const seen = new Set<string>();
  let windowRequested: TftpOption | undefined;
  for (const option of requested) {
    if (seen.has(option.name)) continue;
    seen.add(option.name);
    const n = decimal(option.value);
    switch (option.name) {
      case 'blksize':
        if (n === undefined || n < 8) break;
        result.blksize = Math.max(8, Math.min(n, limits.maxBlksize, maxBlockSize));
        result.acknowledged.push({ name: 'blksize', value: String(result.blksize) });
        break;
      case 'tsize':
        if (n === undefined) break;
        result.acknowledged.push({ name: 'tsize', value: String(fileSize) });
        break;
      case 'timeout':
        if (n === undefined || n < 1 || n > 255) break;
        result.timeoutSeconds = n;
        result.acknowledged.push({ name: 'timeout', value: String(n) });
        break;
      case 'windowsize':
        if (n === undefined || n < 1 || n > 65535) break;
        windowRequested = { name: 'windowsize', value: String(n) };
        result.acknowledged.push(windowRequested);
        break;
    }
  }
  // The window cap depends on the final blksize, which may come later in the list.
  if (windowRequested) {
    const byBytes = Math.max(1, Math.floor(limits.maxWindowBytes / result.blksize));
    result.windowsize = Math.max(1, Math.min(Number(windowRequested.value), limits.maxWindowsize, byBytes));
    windowRequested.value = String(result.windowsize);
  }
  return result;
}

/** Plain decimal digits only: "0x10", "1e3", " 5" and "-1" are not numbers on the wire. */
function decimal(value: string): number | undefined {
  if (!/^[0-9]{1,10}$/.test(value)) return undefined;
  return Number(value);
}
