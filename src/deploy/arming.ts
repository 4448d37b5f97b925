/**
 * `deployment.armed`: whether a node may receive a node API key now. A key
 * is the node's identity for every later secret, so it is handed out only in
 * a window an administrator opened: `once` (the next grant closes it),
 * `continuous`, or `until=<time>`.
 */
export type Arming = { armed: false; why: string } | { armed: true; mode: 'once' | 'continuous' | 'until'; until?: string };

export function armingState(value: string | undefined, now = Date.now()): Arming {
  if (value === undefined || value === '') return { armed: false, why: 'deployment.armed is not set' };
  if (value === 'once' || value === 'continuous') return { armed: true, mode: value };
  if (value.startsWith('until=')) {
    const until = value.slice('until='.length);
    const time = Date.parse(until);
    if (Number.isNaN(time)) return { armed: false, why: `deployment.armed=${value} is not a time` };
    if (time <= now) return { armed: false, why: `deployment.armed expired at ${until}` };
    return { armed: true, mode: 'until', until };
  }
  return { armed: false, why: `deployment.armed=${value} is not once, continuous or until=<time>` };
}
