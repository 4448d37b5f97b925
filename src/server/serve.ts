/**
 * `berth serve`: the daemon. Start-up order matters: the lock comes before
 * anything touches the state dir's contents, the store before the API, and the
 * API last, so nothing answers before berth can serve it. SIGTERM and SIGINT
 * stop it in reverse order and exit 0.
 */
import { InstallTokens } from '../deploy/install-tokens.ts';
import { InstallService } from '../installs/install-service.ts';
import { MediaRepository } from '../media/media-repository.ts';
import { ProfileRepository } from '../profiles/profile-repository.ts';
import { ProfileService } from '../profiles/profile-service.ts';
import { ImageRepository } from '../images/repository/image-repository.ts';
import { getgrnam } from './group-lookup.ts';
import { ApiServer } from '../api/api-server.ts';
import { BootServices } from './boot-services.ts';
import { DiscoveryService } from '../boot/discovery/discovery.ts';
import { EventLog } from '../events/event-log.ts';
import type { Services } from '../api/services.ts';
import { BerthError } from '../errors.ts';
import { Inventory } from '../inventory/inventory.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { TokenService } from '../tokens/token-service.ts';
import { descriptorBudget, openFileLimit } from '../util/connection-limits.ts';
import { createLogger } from '../util/logger.ts';
import type { Logger } from '../util/logger.ts';
import { NodeKeyService } from '../deploy/node-keys.ts';
import { provisioningCheck } from '../deploy/provisioning.ts';
import { VERSION } from '../version.ts';
import { loadConfig } from './config.ts';
import type { BerthConfig, ConfigLayer } from './config.ts';
import { acquireInstanceLock } from '../state/lock-file.ts';
import type { InstanceLock } from '../state/lock-file.ts';
import { ensurePki, listServerAddresses } from './pki.ts';
import { prepareStateDir } from '../state/state-dir.ts';
import { ensureSshCa } from '../ssh/ssh-ca.ts';

export interface RunningServer {
  config: BerthConfig;
  api: ApiServer;
  services: Services;
  log: Logger;
  stop(): Promise<void>;
}

export async function startServer(options: { configPath?: string; flags?: ConfigLayer; env?: Record<string, string | undefined> } = {}): Promise<RunningServer> {
  const config = await loadConfig(options.configPath, options.env ?? process.env, options.flags ?? {});
  const log = createLogger({ level: config.log.level, ...(config.log.format ? { format: config.log.format } : {}), fields: { component: 'serve' } });
  const { layout } = await prepareStateDir(config.stateDir, log);
  const lock: InstanceLock = await acquireInstanceLock(layout, { log });
  let store: Store | undefined;
  // Services started so far, stopped in reverse if start-up fails half-way.
  const stack: (() => Promise<void>)[] = [];
  try {
    store = await openSqliteStore(layout.storeDb);
    const inventory = await Inventory.load(store);
    const events = new EventLog(store, log.child({ component: 'events' }));
    const discovery = await DiscoveryService.load(store, inventory, events);
    let api: ApiServer | undefined;
    // Each repository and service once, here; everything else is handed them.
    const images = new ImageRepository(layout);
    const profiles = new ProfileRepository(layout.profiles);
    const media = new MediaRepository(layout);
    const installs = new InstallService({ inventory, profiles, media });
    const installTokens = new InstallTokens(store, inventory, layout.installTokenKey);
    // What each listener may hold open, from the real descriptor limit (bin/berth raises it to the hard limit).
    const budget = descriptorBudget(openFileLimit() ?? 1024);
    log.info('connection limits', { openFiles: budget.openFiles, reserve: budget.reserve, bootHttp: budget.bootHttp.maxConnections, bootHttpPerAddress: budget.bootHttp.maxPerAddress, https: budget.https.maxConnections, httpsPerAddress: budget.https.maxPerAddress, nbd: budget.nbdConnections, tftp: budget.tftpTransfers });
    const boot = new BootServices({
      budget,
      installs,
      installTokens,
      layout,
      images,
      profiles,
      ...config.boot,
      inventory,
      discovery,
      events,
      store,
      log,
      apiPort: (local) => api?.httpsAddresses.find((a) => a.host === local || a.host === '*' || a.host === '0.0.0.0' || a.host === '::')?.port,
    });
    // Like the TLS CA below, made on the first start; before the services, since the API hands it out.
    const sshCa = await ensureSshCa(layout, log);
    const services: Services = {
      store,
      inventory,
      tokens: new TokenService(store),
      startedAt: new Date(),
      version: VERSION,
      layout,
      images,
      profiles,
      profileService: new ProfileService({ profiles, images, inventory }),
      media,
      events,
      discovery,
      bootStatus: () => boot.status(),
      nbdEndpoints: (local) => boot.nbdEndpoints(local),
      nbdReaders: (exportName) => [...new Set(boot.nbdClients().filter((c) => c.export === exportName).map((c) => boot.nodeByIp(c.ip) ?? c.ip))].sort(),
      leases: () => (boot.dhcp?.leases.all() ?? []).map((l) => ({ ...l, expiresAt: new Date(l.expiresAt).toISOString() })),
      sshCa,
      installs,
      installTokens,
      nodeKeys: new NodeKeyService(
        store,
        inventory,
        provisioningCheck(inventory, () => config.boot.networks.map((n) => n.subnet), () => boot.dhcp?.leases.all() ?? []),
      ),
    };
    const names = listServerAddresses();
    const pki = await ensurePki(
      layout,
      { addresses: [...names.addresses, ...config.tls.addresses, ...config.api.listen.flatMap((l) => (l.host && l.host !== '0.0.0.0' && l.host !== '::' ? [l.host] : []))], hostnames: [...names.hostnames, ...config.tls.hostnames] },
      { log },
    );
    await boot.start();
    stack.push(() => boot.stop());
    api = new ApiServer(services, log.child({ component: 'api' }));
    const socketGid = config.api.socketGroup === undefined ? undefined : await getgrnam(config.api.socketGroup);
    await api.listen({
      socketPath: config.api.socket,
      ...(socketGid !== undefined ? { socketGid } : {}),
      https: config.api.listen,
      tls: { cert: pki.serverCertPem, key: pki.serverKeyPem },
      limits: budget.https,
    });
    log.info('berth serve started', { version: VERSION, stateDir: config.stateDir, pid: process.pid, nodes: inventory.nodeCount, caFingerprint: pki.caFingerprintSha256 });
    let stopping: Promise<void> | undefined;
    const openStore = store;
    const stop = (): Promise<void> =>
      (stopping ??= (async () => {
        log.info('berth serve stopping');
        await api.close();
        for (const stopService of stack.reverse()) await stopService();
        await events.close();
        await openStore.close();
        await lock.release();
        log.info('berth serve stopped');
      })());
    return { config, api, services, log, stop };
  } catch (e) {
    for (const stopService of stack.reverse()) await stopService().catch(() => undefined);
    await store?.close().catch(() => undefined);
    await lock.release();
    throw e;
  }
}

/** Runs until SIGTERM/SIGINT. */
export async function serveForever(options: Parameters<typeof startServer>[0]): Promise<void> {
  const server = await startServer(options);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: string): void => {
      server.log.info('signal received', { signal });
      server.stop().then(resolve, (e: unknown) => {
        server.log.error('clean shutdown failed', { error: e as Error });
        process.exitCode = 1;
        resolve();
      });
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  });
}

export function parseListen(text: string): { host: string | undefined; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) throw new BerthError('BERTH_BAD_INPUT', `--listen '${text}' must be HOST:PORT, [IPV6]:PORT or :PORT`);
  const host = match[1] ?? match[2];
  return { host: host === '' || host === '*' ? undefined : host, port };
}
