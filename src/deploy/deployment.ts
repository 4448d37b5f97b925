/**
 * A node's deployment, typed: the one place that knows which `deployment.*`
 * attribute holds what (inventory/schema/attributes.ts describes them for
 * administrators). Everything that asks "what is pending on this node, what
 * does it run, is it armed, may it be redeployed" reads it through here, and
 * every write names its attributes through DEPLOYMENT, so a rename of an
 * attribute is one edit and a typo is a type error.
 */
import type { Inventory } from '../inventory/inventory.ts';
import type { Resolver } from '../inventory/resolver.ts';
import { armingState } from './arming.ts';
import type { Arming } from './arming.ts';

/** Attribute names, for writes (`inventory.changeNodes(..., { set: { [DEPLOYMENT.state]: 'pending' } })`). */
export const DEPLOYMENT = {
  /** The profile the node boots next: set by `berth deploy`. */
  pending: 'deployment.pending_profile',
  /** The profile it runs: set from `pending` by its `installed` or `booted` report. */
  current: 'deployment.profile',
  state: 'deployment.state',
  armed: 'deployment.armed',
  lock: 'deployment.lock',
  keyPolicy: 'deployment.key_policy',
  installDisk: 'deployment.install_disk',
} as const;

export type DeploymentLock = 'unlocked' | 'locked' | 'autolock';
export type KeyPolicy = 'tpm' | 'ram' | 'rearm';

export interface Deployment {
  node: string;
  pending: string | undefined;
  current: string | undefined;
  state: string | undefined;
  /** The raw `deployment.armed` value, and what it means now. */
  armed: string | undefined;
  arming: Arming;
  lock: DeploymentLock;
  keyPolicy: KeyPolicy;
  /** The disk an install-to-disk deployment writes (a device path or a udev-style match), when set. */
  installDisk: string | undefined;
}

/**
 * The deployment of `node`, or undefined when berth has no such node. An
 * attribute whose expression fails to evaluate reads as unset: a broken
 * expression must not make a node bootable in a way nobody chose. Pass a
 * resolver when reading many nodes, so they share one.
 */
export function readDeployment(inventory: Inventory, node: string, resolver: Resolver = inventory.resolver(), now = Date.now()): Deployment | undefined {
  const record = inventory.node(node);
  if (!record) return undefined;
  const value = (attribute: string): string | undefined => {
    try {
      return resolver.value(record, attribute);
    } catch {
      return undefined;
    }
  };
  const armed = value(DEPLOYMENT.armed);
  const lock = value(DEPLOYMENT.lock);
  const keyPolicy = value(DEPLOYMENT.keyPolicy);
  return {
    node,
    pending: value(DEPLOYMENT.pending),
    current: value(DEPLOYMENT.current),
    state: value(DEPLOYMENT.state),
    armed,
    arming: armingState(armed, now),
    lock: lock === 'locked' || lock === 'autolock' ? lock : 'unlocked',
    keyPolicy: keyPolicy === 'ram' || keyPolicy === 'rearm' ? keyPolicy : 'tpm',
    installDisk: value(DEPLOYMENT.installDisk)?.trim() || undefined,
  };
}

/** Like readDeployment; BERTH_NOT_FOUND when there is no such node. */
export function deploymentOf(inventory: Inventory, node: string, resolver?: Resolver): Deployment {
  inventory.requireNode(node);
  return readDeployment(inventory, node, resolver)!;
}
