/**
 * What route handlers may use: every repository and service, built once by
 * the composition root (server/serve.ts). Routes never build their own from
 * a path, so there is one instance of each, with one lock and one cache.
 */
import type { InstallTokens } from '../deploy/install-tokens.ts';
import type { ImageRepository } from '../images/repository/image-repository.ts';
import type { InstallService } from '../installs/install-service.ts';
import type { MediaRepository } from '../media/media-repository.ts';
import type { ProfileRepository } from '../profiles/profile-repository.ts';
import type { ProfileService } from '../profiles/profile-service.ts';
import type { StateDirLayout } from '../state/state-dir.ts';
import type { DiscoveryService } from '../boot/discovery/discovery.ts';
import type { NodeKeyService } from '../deploy/node-keys.ts';
import type { EventLog } from '../events/event-log.ts';
import type { Inventory } from '../inventory/inventory.ts';
import type { SshCa } from '../ssh/ssh-ca.ts';
import type { Store } from '../store/store.ts';
import type { TokenService } from '../tokens/token-service.ts';

export interface Services {
  store: Store;
  inventory: Inventory;
  tokens: TokenService;
  startedAt: Date;
  version: string;
  /** Where everything lives (state/state-dir.ts). */
  layout: StateDirLayout;
  images: ImageRepository;
  profiles: ProfileRepository;
  /** Profile changes (define, set, remove) checked against the inventory, one at a time. */
  profileService: ProfileService;
  media: MediaRepository;
  events: EventLog;
  discovery: DiscoveryService;
  /** What the boot services run: ports and networks. */
  bootStatus(): Record<string, unknown>;
  /** NBD endpoints for a tethered node that reached this server at `localAddress` (this server's, then its peers'). */
  nbdEndpoints(localAddress: string): string[];
  /** Tethered nodes reading an export over NBD right now (node name, or address when unknown). */
  nbdReaders(exportName: string): string[];
  /** DHCP leases held now (empty when no network is served). */
  leases(): unknown[];
  /** berth's SSH CA: signs node host certificates, and is what admins' known_hosts trusts. */
  sshCa: SshCa;
  /** Scripted installs: answer files per node, deploy checks. */
  installs: InstallService;
  /** The install deployments and their tokens (a scripted install's credential). */
  installTokens: InstallTokens;
  /** Node API keys: granted to armed nodes, verified on every node API call. */
  nodeKeys: NodeKeyService;
}
