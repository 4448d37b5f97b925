/**
 * The boot endpoints of boot-http-server.ts over HTTPS, for an iPXE that
 * trusts berth's CA (boot/ipxe/build/): the same handler behind a TLS
 * listener with berth's server certificate (server/pki.ts), so a machine's
 * script, and the kernel and initrd URLs in it (built from the scheme the
 * request came in by), are fetched from a server the node has verified.
 *
 * Bounded like the plain listener (util/connection-limits.ts), with a TLS
 * handshake deadline: a client that opens a connection and never finishes
 * the handshake is dropped, counted as ('http', 'https-' + reason).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import { BerthError } from '../../errors.ts';
import type { EventSink } from '../../events/boot-event.ts';
import { ConnectionGuard, httpServerOptions } from '../../util/connection-limits.ts';
import type { ConnectionLimits } from '../../util/connection-limits.ts';
import type { Logger } from '../../util/logger.ts';

/** iPXE on a slow BIOS does ECDSA in software: seconds, not minutes. */
const TLS_HANDSHAKE_TIMEOUT_MS = 30_000;

export interface BootHttpsOptions {
  hosts?: string[];
  port: number;
  tls: { cert: string; key: string };
  limits: ConnectionLimits;
  /** BootHttpServer.handle. */
  handle(request: IncomingMessage, response: ServerResponse): void;
  events: EventSink;
  log: Logger;
}

export class BootHttpsListener {
  readonly #options: BootHttpsOptions;
  readonly #servers: Server[] = [];
  #guard: ConnectionGuard | undefined;
  port = 0;

  constructor(options: BootHttpsOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {
    const { hosts, tls, limits, events, log } = this.#options;
    const guard = new ConnectionGuard(limits, (reason) => events.countDropped('http', `https-${reason}`));
    this.#guard = guard;
    this.port = this.#options.port;
    for (const host of hosts && hosts.length > 0 ? hosts : [undefined]) {
      const server = createServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2', handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS, ...httpServerOptions(limits) }, (req, res) => this.#options.handle(req, res));
      guard.watch(server);
      this.#servers.push(server);
      const where = `${host === undefined ? '*' : host.includes(':') ? `[${host}]` : host}:${this.port}`;
      await new Promise<void>((resolve, reject) => {
        server.once('error', (e) => reject(new BerthError('BERTH_UNAVAILABLE', `boot HTTPS cannot listen on ${where}: ${e.message} (the port is the one the trusting iPXE was built for: berth boot build-ipxe --https-port)`)));
        server.listen(this.port, host, () => resolve());
      });
      const address = server.address();
      if (typeof address === 'object' && address) this.port = address.port;
    }
    log.info('boot HTTPS listening', { port: this.port, addresses: hosts && hosts.length > 0 ? hosts : ['*'] });
  }

  async stop(): Promise<void> {
    const servers = this.#servers.splice(0);
    const closed = Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    for (const socket of this.#guard?.sockets ?? []) socket.destroy();
    await closed;
  }
}
