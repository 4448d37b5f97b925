/**
 * The sockets of one transfer: the server's transfer ID (RFC 1350 §4) is a
 * fresh port, and on it two sockets, both with SO_REUSEADDR:
 *
 * - `socket`, unconnected: hears everyone, so a packet from a wrong TID can
 *   be answered with ERROR 5 (tftpd-hpa connects its only socket, so the
 *   kernel drops such packets instead);
 * - `connected`, connected to the client: the kernel delivers the client's
 *   packets to it in preference to the unconnected one, and sends through it
 *   skip the per-packet route lookup, about a third off the cost of a send on
 *   loopback.
 *
 * With SO_REUSEADDR set, the kernel's choice of a free port ignores other
 * SO_REUSEADDR sockets, so two transfers may share a port. That is harmless:
 * each client's packets still reach its own connected socket, and strangers
 * get ERROR 5 from whichever unconnected socket hears them. If the connected
 * socket cannot be set up, the transfer runs on `socket` alone.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { Client } from './request-handler.ts';

export interface TransferSockets {
  socket: Socket;
  connected?: Socket;
}

/** Rejects only if no socket can be bound at all. */
export async function openTransferSockets(type: 'udp4' | 'udp6', address: string | undefined, client: Client): Promise<TransferSockets> {
  const socket = createTransferSocket(type);
  try {
    await bind(socket, 0, address);
  } catch (e) {
    socket.close();
    throw e;
  }
  const connected = createTransferSocket(type);
  try {
    await bind(connected, socket.address().port, address);
    await new Promise<void>((resolve, reject) => {
      connected.once('error', reject);
      connected.connect(client.port, client.address, () => {
        connected.off('error', reject);
        resolve();
      });
    });
    return { socket, connected };
  } catch {
    connected.close();
    return { socket };
  }
}

function createTransferSocket(type: 'udp4' | 'udp6'): Socket {
  return createSocket({ type, reuseAddr: true, lookup: type === 'udp6' ? literal6 : literal4 });
}

/**
 * Clients are always IP literals (the request's source address), so
 * "resolving" one is the identity. Answering synchronously keeps a send
 * synchronous too: dns.lookup, the default, answers a literal on the next
 * tick, a deferral per packet.
 */
type Lookup = (address: string, options: unknown, callback: (error: Error | null, address: string, family: number) => void) => void;
const literal4: Lookup = (address, _options, callback) => callback(null, address, 4);
const literal6: Lookup = (address, _options, callback) => callback(null, address, 6);

export function bind(socket: Socket, port: number, address: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    socket.once('error', onError);
    socket.bind({ port, ...(address !== undefined ? { address } : {}), exclusive: true }, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}
