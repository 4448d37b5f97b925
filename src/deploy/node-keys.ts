/**
 * Node API keys: a node's proof of identity towards berth for everything it
 * fetches at boot (image key, root password hash, SSH host certificates).
 *
 * - 32 random bytes, shown to the node once; the store keeps only a SHA-256
 *   (store kind 'node-key', key = node name), so a copy of the store hands
 *   out nothing.
 * - Bound to the node's incarnation (inventory/incarnation.ts), not to its
 *   name: after `node remove` and a new `node define` of the same name, or a
 *   new hardware address, the old key opens nothing. The inventory deletes
 *   the key in the same transaction, and moves it along with a rename.
 * - Granted only while the node is armed (arming.ts), only to a request from
 *   the node's own address on a provisioning network (provisioning.ts), and
 *   never while `deployment.lock=locked`. `once` is disarmed by the grant.
 * - A new grant replaces the old key; `berth node revoke-key` deletes it.
 *
 * With a TPM the node seals the key (deploy issue) and later boots need no
 * arming; without one, it asks again on each armed boot.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { BerthError } from '../errors.ts';
import type { Inventory } from '../inventory/inventory.ts';
import type { Store } from '../store/store.ts';
import type { NodeBoundKind } from '../inventory/incarnation.ts';
import { DEPLOYMENT, deploymentOf } from './deployment.ts';

const KIND: NodeBoundKind = 'node-key';

export interface StoredNodeKey {
  sha256: string;
  /** The node's incarnation when the key was granted; the key opens nothing for another. */
  incarnation: string;
  created: string;
  /** Where the grant went, for the audit trail. */
  grantedTo: string;
}

export interface GrantCheck {
  /** Throws when `ip` is not the node's own address on a provisioning network. */
  checkRequester(node: string, ip: string): void;
}

export class NodeKeyService {
  readonly #store: Store;
  readonly #inventory: Inventory;
  readonly #check: GrantCheck;

  constructor(store: Store, inventory: Inventory, check: GrantCheck) {
    this.#store = store;
    this.#inventory = inventory;
    this.#check = check;
  }

  async grant(node: string, ip: string): Promise<{ key: string; arming: string }> {
    if (!this.#inventory.node(node)) throw new BerthError('BERTH_FORBIDDEN', `no key for '${node}': not a node berth knows`);
    const deployment = deploymentOf(this.#inventory, node);
    if (deployment.lock === 'locked') {
      throw new BerthError('BERTH_FORBIDDEN', `no key for ${node}: deployment.lock is locked (unlock with: berth node set ${node} deployment.lock=unlocked)`, { node });
    }
    const armed = deployment.arming;
    if (!armed.armed) throw new BerthError('BERTH_FORBIDDEN', `no key for ${node}: it is not armed (${armed.why}); arm it with berth deploy or: berth node set ${node} deployment.armed=once`, { node });
    this.#check.checkRequester(node, ip);
    // Disarm first: a crash between the two writes then leaves a node without a key (ask again after re-arming), never an armed node with one.
    if (armed.mode === 'once') await this.#inventory.changeNodes([node], { unset: [DEPLOYMENT.armed] });
    const key = randomBytes(32).toString('base64url');
    const incarnation = this.#inventory.incarnation(node)!;
    const stored: StoredNodeKey = { sha256: sha256(key), incarnation, created: new Date().toISOString(), grantedTo: ip };
    await this.#store.write((tx) => tx.put(KIND, node, { ...stored }));
    return { key, arming: armed.mode };
  }

  /** Whether `key` is the node's current key; constant time in the key. */
  async verify(node: string, key: string): Promise<boolean> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(key)) return false;
    const doc = await this.#store.read((reader) => reader.get<StoredNodeKey>(KIND, node));
    if (!doc || !this.#current(node, doc.value)) return false;
    return timingSafeEqual(Buffer.from(doc.value.sha256, 'hex'), Buffer.from(sha256(key), 'hex'));
  }

  async revoke(nodes: readonly string[]): Promise<string[]> {
    return this.#store.write((tx) => nodes.filter((n) => tx.delete(KIND, n)));
  }

  /** The nodes among `nodes` that hold a key valid now (granted to their current incarnation). */
  async hasKey(nodes: readonly string[]): Promise<Set<string>> {
    return this.#store.read((reader) =>
      new Set(
        nodes.filter((n) => {
          const doc = reader.get<StoredNodeKey>(KIND, n);
          return doc !== undefined && this.#current(n, doc.value);
        }),
      ),
    );
  }

  #current(node: string, stored: StoredNodeKey): boolean {
    const incarnation = this.#inventory.incarnation(node);
    return incarnation !== undefined && stored.incarnation === incarnation;
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
