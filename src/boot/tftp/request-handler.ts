/**
 * What to do with a datagram that arrived on the server's well-known port:
 * bytes in, a decision out, without sockets, so it can be fuzzed.
 *
 * Only read requests in octet mode start a transfer. Everything else is
 * counted as a drop on the EventSink, and answered with an ERROR packet when
 * the sender is plainly a TFTP client:
 *   - WRQ: ERROR 2, berth's TFTP is read-only;
 *   - malformed RRQ/WRQ: ERROR 4;
 *   - netascii/mail mode: ERROR 4 (boot loaders always use octet, and
 *     translating line ends would make block offsets differ from file offsets);
 *   - a refused file: ERROR 1 or 2 from root-files.ts, plus an `error` event
 *     so the refusal shows on the node's timeline;
 *   - DATA/ACK/OACK on the request port: ERROR 4 (RFC 1350 §4: only
 *     requests go to the well-known port);
 *   - ERROR packets and unparseable garbage: no answer. Answering an ERROR
 *     with an ERROR could ping-pong forever between two confused peers.
 */
import type { EventSink } from '../../events/boot-event.ts';
import { negotiateOptions, defaultLimits, type NegotiatedOptions, type NegotiationLimits } from './options.ts';
import { encodeError, errorCodes, parsePacket, TftpPacketError, type TftpPacket } from './packet.ts';
import type { OpenedFile, OpenResult } from './root-files.ts';

export interface Client {
  address: string;
  port: number;
}

export type RequestOutcome =
  | {
      kind: 'dropped';
      /** Stable reason, as counted with EventSink.countDropped('tftp', reason). */
      reason: string;
      /** ERROR packet to send back to the client, if any. */
      reply?: Buffer;
    }
  | {
      kind: 'accepted';
      /** The name as the client asked for it. */
      file: string;
      opened: OpenedFile;
      negotiated: NegotiatedOptions;
    };

export interface RequestHandlerOptions {
  files: { open(name: string): Promise<OpenResult> };
  events: EventSink;
  limits?: NegotiationLimits;
  resolveNode?: (ip: string) => string | undefined;
}

export class RequestHandler {
  private readonly files: RequestHandlerOptions['files'];
  private readonly events: EventSink;
  private readonly limits: NegotiationLimits;
  private readonly resolveNode: (ip: string) => string | undefined;

  constructor(options: RequestHandlerOptions) {
    this.files = options.files;
    this.events = options.events;
    this.limits = options.limits ?? defaultLimits;
    this.resolveNode = options.resolveNode ?? (() => undefined);
  }

  /** Never rejects: every outcome is either a transfer to start or a counted drop. */
  async handle(bytes: Uint8Array, client: Client): Promise<RequestOutcome> {
    try {
      return await this.decide(bytes, client);
    } catch (e) {
      return this.drop('internal-error', errorCodes.notDefined, `internal error: ${(e as Error).message}`);
    }
  }

  private async decide(bytes: Uint8Array, client: Client): Promise<RequestOutcome> {
    let packet: TftpPacket;
    try {
      packet = parsePacket(bytes);
    } catch (e) {
      if (!(e instanceof TftpPacketError)) throw e;
      const looksLikeRequest = bytes.length >= 2 && bytes[0] === 0 && (bytes[1] === 1 || bytes[1] === 2);
      return looksLikeRequest ? this.drop('malformed', errorCodes.illegalOperation, e.message) : this.drop('malformed');
    }
    switch (packet.opcode) {
      case 'wrq':
        return this.refuse(client, packet.filename, 'write-refused', errorCodes.accessViolation, 'this TFTP server is read-only');
      case 'rrq':
        break;
      case 'error':
        return this.drop('not-a-request');
      default:
        return this.drop('not-a-request', errorCodes.illegalOperation, `${packet.opcode.toUpperCase()} sent to the request port; only RRQ is accepted here`);
    }
    if (packet.mode !== 'octet') {
      return this.refuse(client, packet.filename, 'mode-unsupported', errorCodes.illegalOperation, `${packet.mode} mode is not supported; use octet (binary) mode`);
    }
    const result = await this.files.open(packet.filename);
    if (!result.ok) return this.refuse(client, packet.filename, result.refusal.reason, result.refusal.tftpCode, result.refusal.message);
    return { kind: 'accepted', file: packet.filename, opened: result.file, negotiated: negotiateOptions(packet.options, result.file.size, this.limits) };
  }

  private drop(reason: string, code?: number, message?: string): RequestOutcome {
    this.events.countDropped('tftp', reason);
    return code === undefined ? { kind: 'dropped', reason } : { kind: 'dropped', reason, reply: encodeError(code, message ?? reason) };
  }

  private refuse(client: Client, file: string, reason: string, code: number, message: string): RequestOutcome {
    const node = this.resolveNode(client.address);
    this.events.emit({ source: 'tftp', step: 'error', ip: client.address, ...(node ? { node } : {}), detail: { file, reason, message } });
    return this.drop(reason, code, message);
  }
}
