/**
 * Reads a V8 `.cpuprofile` (what `node --cpu-prof` writes) and says where the
 * time went: per function, self time (samples in it) and total time (samples
 * in it or in what it called), as shares of the profiled wall time. Enough to
 * tell "the event loop is idle" from "SQLite commits" from "JSON" without
 * opening DevTools.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface FunctionTime {
  name: string;
  /** Microseconds. */
  self: number;
  total: number;
}

export function summarizeProfile(file: string, root: string): { wallMs: number; functions: FunctionTime[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfOf = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    // timeDeltas[i] is the time before sample i; the sample stands for the interval up to the next one.
    const dt = profile.timeDeltas[i + 1] ?? 0;
    selfOf.set(profile.samples[i]!, (selfOf.get(profile.samples[i]!) ?? 0) + dt);
  }
  const label = (n: ProfileNode) => {
    const { functionName, url, lineNumber } = n.callFrame;
    if (!url) return functionName || '(anonymous)';
    const where = url.startsWith('file://') ? relative(root, new URL(url).pathname) : url;
    return `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
  };
  const totals = new Map<string, FunctionTime>();
  // Depth first; a function on the stack twice (recursion) counts its subtree once.
  const walk = (id: number, onStack: Set<string>): number => {
    const node = byId.get(id)!;
    const name = label(node);
    let total = selfOf.get(id) ?? 0;
    const inner = onStack.has(name) ? onStack : new Set(onStack).add(name);
    for (const child of node.children ?? []) total += walk(child, inner);
    const entry = totals.get(name) ?? { name, self: 0, total: 0 };
    entry.self += selfOf.get(id) ?? 0;
    if (!onStack.has(name)) entry.total += total;
    totals.set(name, entry);
    return total;
  };
  walk(profile.nodes[0]!.id, new Set());
  totals.delete('(root)');
  return { wallMs: (profile.endTime - profile.startTime) / 1000, functions: [...totals.values()] };
}

export function printProfile(file: string, root: string, top = 20): void {
  const { wallMs, functions } = summarizeProfile(file, root);
  const pct = (us: number) => `${((us / 1000 / wallMs) * 100).toFixed(1)} %`.padStart(7);
  console.log(`\nCPU profile ${file} (${(wallMs / 1000).toFixed(1)} s of wall time)`);
  console.log('self time:');
  for (const f of [...functions].sort((a, b) => b.self - a.self).slice(0, top)) console.log(`  ${pct(f.self)}  ${f.name}`);
  console.log('total time (with callees):');
  const skip = new Set(['(program)', '(idle)', '(garbage collector)']);
  for (const f of [...functions].filter((f) => !skip.has(f.name)).sort((a, b) => b.total - a.total).slice(0, top)) console.log(`  ${pct(f.total)}  ${f.name}`);
}
