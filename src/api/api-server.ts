/**
 * The admin API's listeners: plain HTTP on a unix socket that only root can
 * open (the file mode is the access control), and HTTPS on the configured
 * addresses with bearer tokens.
 *
 * The HTTPS listeners are bounded (util/connection-limits.ts): a cap in all
 * and per client address, idle connections and stalled TLS handshakes
 * closed. The unix socket is not: remote traffic must never lock the
 * administrator out.
 */
import { chmod, chown, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { BerthError } from '../errors.ts';
import { ConnectionGuard, descriptorBudget, httpServerOptions, openFileLimit, TLS_HANDSHAKE_TIMEOUT_MS } from '../util/connection-limits.ts';
import type { ConnectionLimits } from '../util/connection-limits.ts';
import type { Logger } from '../util/logger.ts';
import { authenticate } from './auth.ts';
import { openApiDocument } from './openapi.ts';
import type { Route } from './route.ts';
import { Router } from './router.ts';
import { attributeRoutes } from './routes/attributes.ts';
import { bootRoutes } from './routes/boot.ts';
import { groupRoutes } from './routes/groups.ts';
import { inventoryRoutes } from './routes/inventory.ts';
import { nodeRoutes } from './routes/nodes.ts';
import { noderangeRoutes } from './routes/noderange.ts';
import { imageRoutes } from './routes/images.ts';
import { mediaRoutes } from './routes/media.ts';
import { nodeApiRoutes } from './routes/node-api.ts';
import { deployRoutes } from './routes/deploy.ts';
import { profileRoutes } from './routes/profiles.ts';
import { sshRoutes } from './routes/ssh.ts';
import { statusRoutes } from './routes/status.ts';
import { tokenRoutes } from './routes/tokens.ts';
import type { Services } from './services.ts';

export interface ApiListenOptions {
  socketPath: string;
  /** Group id allowed on the socket besides root (mode 0660); undefined = root only (0600). */
  socketGid?: number;
  https: { host: string | undefined; port: number }[];
  tls: { cert: string; key: string };
  /** Bounds of the HTTPS listeners together; default: this process's share of its descriptor limit. */
  limits?: ConnectionLimits;
}

export class ApiServer {
  readonly #servers: Server[] = [];
  readonly #sockets = new Set<Socket>();
  readonly router: Router;
  readonly #services: Services;
  readonly #log: Logger;
  /** Actual bound HTTPS addresses (port 0 resolves to a real port). */
  readonly httpsAddresses: { host: string; port: number }[] = [];

  constructor(services: Services, log: Logger) {
    this.#services = services;
    this.#log = log;
    const routes: Route[] = [
      ...statusRoutes(services),
      ...attributeRoutes(),
      ...nodeRoutes(services),
      ...groupRoutes(services),
      ...noderangeRoutes(services),
      ...inventoryRoutes(services),
      ...tokenRoutes(services),
      ...bootRoutes(services),
      ...profileRoutes(services),
      ...imageRoutes(services),
      ...mediaRoutes(services),
      ...sshRoutes(services),
      ...deployRoutes(services),
      ...nodeApiRoutes(services),
    ];
    const document: { value?: Record<string, unknown> } = {};
    routes.push({
      method: 'GET',
      path: '/api/v1/openapi.json',
      operationId: 'openapi',
      tag: 'server',
      summary: 'This document',
      handler: () => (document.value ??= openApiDocument(routes, services.version)),
    });
    this.router = new Router(routes, log);
  }

  async listen(options: ApiListenOptions): Promise<void> {
    await rm(options.socketPath, { force: true });
    const local = createHttpServer((req, res) => void this.router.handle(req, res, (mode) => authenticate(req, true, this.#services.tokens, mode, this.#services.nodeKeys)));
    // umask-independent: the socket must never be reachable by others, not even briefly.
    const oldUmask = process.umask(0o177);
    try {
      await this.#listen(local, () => local.listen(options.socketPath));
    } finally {
      process.umask(oldUmask);
    }
    if (options.socketGid !== undefined) {
      await chown(options.socketPath, 0, options.socketGid);
      await chmod(options.socketPath, 0o660);
    } else {
      await chmod(options.socketPath, 0o600);
    }
    this.#log.info('admin API listening', { socket: options.socketPath });

    const limits = options.limits ?? descriptorBudget(openFileLimit() ?? 1024).https;
    const guard = new ConnectionGuard(limits, (reason) => this.#services.events.countDropped('api', reason));
    for (const address of options.https) {
      const server = createHttpsServer(
        { cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2', handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS, ...httpServerOptions(limits) },
        (req, res) => void this.router.handle(req, res, (mode) => authenticate(req, false, this.#services.tokens, mode, this.#services.nodeKeys)),
      );
      guard.watch(server);
      // No host: every address, IPv4 and IPv6 (Node listens dual-stack on '::').
      await this.#listen(server, () => (address.host === undefined ? server.listen(address.port) : server.listen(address.port, address.host)));
      const bound = server.address();
      const port = typeof bound === 'object' && bound ? bound.port : address.port;
      const host = address.host ?? '*';
      this.httpsAddresses.push({ host, port });
      this.#log.info('admin API listening', { https: `${host}:${port}` });
    }
  }

  #listen(server: Server, start: () => void): Promise<void> {
    this.#servers.push(server);
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    return new Promise((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(new BerthError('BERTH_UNAVAILABLE', `cannot listen for the admin API: ${e.message}`)),
      );
      server.once('listening', () => resolve());
      start();
    });
  }

  /** Stops accepting, lets requests in flight finish (up to `graceMs`), then drops idle connections. */
  async close(graceMs = 5000): Promise<void> {
    const closed = Promise.all(this.#servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    for (const server of this.#servers) server.closeIdleConnections();
    const timer = setTimeout(() => {
      for (const socket of this.#sockets) socket.destroy();
    }, graceMs);
    await closed;
    clearTimeout(timer);
  }
}
