/**
 * What a node's report of its deployment state changes in the inventory, the
 * same whether it comes over the node API (with the node key) or from an
 * installer with the deployment's token (install-http.ts): `booted` and
 * `installed` make the pending profile the current one, lock an `autolock`
 * node, and use up a `once` arming (a node that booted on the key sealed in
 * its TPM never asked for one, yet the boot used the arming all the same).
 */
export function reportedStateChange(state: string, value: (attribute: string) => string | undefined): { set: Record<string, string>; unset: string[] } {
  const set: Record<string, string> = { 'deployment.state': state };
  const unset: string[] = [];
  if (state === 'booted' || state === 'installed') {
    const pending = value('deployment.pending_profile');
    if (pending) set['deployment.profile'] = pending;
    if (value('deployment.lock') === 'autolock') set['deployment.lock'] = 'locked';
    if (value('deployment.armed') === 'once') unset.push('deployment.armed');
  }
  return { set, unset };
}
