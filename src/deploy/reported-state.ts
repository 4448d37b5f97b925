/**
 * What a node's report of its deployment state changes in the inventory, the
 * same whether it comes over the node API (with the node key) or from an
 * installer with the deployment's token (install-http.ts): `booted` and
 * `installed` make the pending profile the current one, lock an `autolock`
 * node, and use up a `once` arming (a node that booted on the key sealed in
 * its TPM never asked for one, yet the boot used the arming all the same).
 */
import { DEPLOYMENT } from './deployment.ts';
import type { Deployment } from './deployment.ts';

export function reportedStateChange(state: string, deployment: Deployment): { set: Record<string, string>; unset: string[] } {
  const set: Record<string, string> = { [DEPLOYMENT.state]: state };
  const unset: string[] = [];
  if (state === 'booted' || state === 'installed') {
    if (deployment.pending) set[DEPLOYMENT.current] = deployment.pending;
    if (deployment.lock === 'autolock') set[DEPLOYMENT.lock] = 'locked';
    if (deployment.armed === 'once') unset.push(DEPLOYMENT.armed);
  }
  return { set, unset };
}
