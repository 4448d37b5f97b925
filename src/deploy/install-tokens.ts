/**
 * Per-deployment tokens for scripted installs. A distribution's installer
 * (anaconda, subiquity, d-i, YaST, weasel) fetches its answer file from a URL
 * on its kernel command line and cannot send a node key, so the URL itself
 * carries the credential: `/install/<node>/<token>/...`.
 *
 * - `berth deploy` of an install profile records a fresh random nonce for the
 *   node (store kind 'install-deployment'); the token is an HMAC of node,
 *   incarnation (inventory/incarnation.ts) and nonce under a secret in
 *   private/, so the store alone hands out nothing, every deployment has a
 *   new token (an old boot script's URL is dead), and a removed and
 *   re-defined node of the same name shares nothing with the old one.
 * - A token opens only while the node is armed, its pending profile is the one
 *   deployed, and the lock is not `locked`: "valid while armed". The
 *   installer's post script trades it for a node key (which disarms a `once`
 *   node), and everything after goes through the node API with that key.
 * - The deployment records how far the installer reported (`advance`: only
 *   forward) and retires at `installed` (`retire`); installs/install-http.ts
 *   refuses a retired deployment's token.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { BerthError } from '../errors.ts';
import type { Inventory } from '../inventory/inventory.ts';
import type { Store } from '../store/store.ts';
import type { NodeBoundKind } from '../inventory/incarnation.ts';
import { deploymentOf } from './deployment.ts';

const KIND: NodeBoundKind = 'install-deployment';
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export interface InstallDeployment {
  profile: string;
  nonce: string;
  /** The node's incarnation when the deployment began: the token is dead for any other. */
  incarnation: string;
  created: string;
  /** How far the installer has reported (advance); absent: not started. At `installed` the deployment is retired. */
  stage?: InstallStage;
}

/** The stages an installer reports with the token, in the install's order; `failed` may end any but `installed`. */
export type InstallStage = 'installing' | 'post' | 'installed' | 'failed';
const ORDER: Record<Exclude<InstallStage, 'failed'>, number> = { installing: 1, post: 2, installed: 3 };

/**
 * Whether an install at stage `from` may move to `to`: only forward (a stale
 * or replayed report cannot move an installed node back), `failed` from any
 * stage before `installed`, and `installing` again after `failed` (the node
 * reboots into the installer while still armed and starts over).
 */
export function installStageAllowed(from: InstallStage | undefined, to: InstallStage): boolean {
  if (from === 'installed' || from === to) return false;
  if (to === 'failed') return true;
  if (from === 'failed') return to === 'installing';
  return ORDER[to] > (from === undefined ? 0 : ORDER[from]);
}

export class InstallTokens {
  readonly #store: Store;
  readonly #inventory: Inventory;
  readonly #keyFile: string;
  #key: Buffer | undefined;

  constructor(store: Store, inventory: Inventory, keyFile: string) {
    this.#store = store;
    this.#inventory = inventory;
    this.#keyFile = keyFile;
  }

  /** Records a new deployment of `profile` for each node: every earlier token of theirs stops working. */
  async begin(nodes: readonly string[], profile: string): Promise<void> {
    await this.#secret();
    const created = new Date().toISOString();
    await this.#store.write((tx) => {
      for (const node of nodes) {
        const incarnation = this.#inventory.incarnation(node);
        if (incarnation === undefined) throw new BerthError('BERTH_NOT_FOUND', `no node named '${node}'`, { node });
        tx.put(KIND, node, { profile, nonce: randomBytes(16).toString('base64url'), incarnation, created });
      }
    });
  }

  /** The node's current token for `profile`, or undefined when no deployment of it was begun. */
  async token(node: string, profile: string): Promise<string | undefined> {
    const deployment = await this.#deployment(node);
    if (!deployment || deployment.profile !== profile) return undefined;
    return this.#derive(await this.#secret(), node, deployment);
  }

  /**
   * The deployment `token` opens for `node`, or a BERTH_FORBIDDEN saying why
   * not. `needArmed` is false only for the installer's own failure reports,
   * which must still reach the timeline after a `once` arming was used up.
   */
  async check(node: string, token: string, needArmed = true): Promise<InstallDeployment> {
    const refuse = (why: string): never => {
      throw new BerthError('BERTH_FORBIDDEN', `install token for ${node} refused: ${why}`, { node });
    };
    const record = this.#inventory.node(node);
    if (!record || !TOKEN.test(token)) refuse('no such deployment');
    const deployment = await this.#deployment(node);
    if (!deployment) return refuse('no scripted install was deployed to it');
    const expected = this.#derive(await this.#secret(), node, deployment);
    if (!timingSafeEqual(Buffer.from(expected), Buffer.from(token))) refuse('not the token of its current deployment');
    const now = deploymentOf(this.#inventory, node);
    if (now.pending !== deployment.profile) refuse(`its pending profile is no longer ${deployment.profile}`);
    if (now.lock === 'locked') refuse('deployment.lock is locked');
    if (needArmed && !now.arming.armed) refuse(`it is not armed (${now.arming.why})`);
    return deployment;
  }

  /**
   * Moves the deployment with `nonce` to `stage` if installStageAllowed, in
   * one store transaction (two reports at once cannot both pass the check).
   * Returns undefined when it moved, else why not.
   */
  async advance(node: string, nonce: string, stage: InstallStage): Promise<string | undefined> {
    return this.#store.write((tx) => {
      const doc = tx.get<InstallDeployment>(KIND, node);
      if (!doc || doc.value.nonce !== nonce) return 'it is no longer the current deployment';
      const from = doc.value.stage;
      // A report repeated (curl --retry, a rebooted installer) is not a move backwards.
      if (from === stage) return undefined;
      if (!installStageAllowed(from, stage)) return `the install is at ${from ?? 'its start'}, and ${stage} does not follow it`;
      tx.put(KIND, node, { ...doc.value, stage } as never);
      return undefined;
    });
  }

  /** Retires the node's current deployment (it reported `installed` through the node API): its token opens nothing more. */
  async retire(node: string): Promise<void> {
    await this.#store.write((tx) => {
      const doc = tx.get<InstallDeployment>(KIND, node);
      if (doc && doc.value.stage !== 'installed') tx.put(KIND, node, { ...doc.value, stage: 'installed' } as never);
    });
  }

  /** The node's deployment, if one was begun for its current incarnation. */
  async #deployment(node: string): Promise<InstallDeployment | undefined> {
    const doc = await this.#store.read((reader) => reader.get<InstallDeployment>(KIND, node));
    const incarnation = this.#inventory.incarnation(node);
    return doc && incarnation !== undefined && doc.value.incarnation === incarnation ? doc.value : undefined;
  }

  #derive(secret: Buffer, node: string, deployment: InstallDeployment): string {
    return createHmac('sha256', secret).update(`${node}\0${deployment.incarnation}\0${deployment.nonce}`).digest('base64url');
  }

  async #secret(): Promise<Buffer> {
    if (this.#key) return this.#key;
    const existing = await readFile(this.#keyFile).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (existing && existing.length >= 32) return (this.#key = existing);
    const fresh = randomBytes(32);
    // 'wx': two servers starting at once on one state dir must agree on one key.
    await writeFile(this.#keyFile, fresh, { mode: 0o600, flag: 'wx' }).catch(async (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
    return (this.#key = await readFile(this.#keyFile));
  }
}
