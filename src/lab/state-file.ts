/**
 * A lab's state file, `<labs root>/<lab name>/state.json`: what the lab made
 * (namespace name and inode, taps, host link), which processes it started
 * (PID and start time) and who owns it (the berth process that brought it up).
 * Rewritten atomically on every change, synchronously so it is also current
 * in the exit path. `berth lab down` reads it to remove a lab whose owner
 * crashed; nothing is ever found by matching process or interface names.
 */
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../errors.ts';
import type { NamespaceState } from './namespace.ts';
import { labNamePattern, stateFileOf } from './paths.ts';
import type { Firmware } from './vm.ts';

export interface LabNodeState {
  /** node1, node2, ... */
  name: string;
  mac: string;
  uuid: string;
  tap: string;
  firmware: Firmware;
  consoleLog: string;
}

export interface LabState {
  format: 1;
  name: string;
  dir: string;
  createdAt: string;
  owner: { pid: number; startTime: string };
  namespace: NamespaceState;
  nodes: LabNodeState[];
}

export function writeLabState(path: string, state: LabState): void {
  const temp = `${path}.tmp-${process.pid}`;
  writeFileSync(temp, JSON.stringify(state, null, 2) + '\n');
  renameSync(temp, path);
}

export function readLabState(path: string): LabState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new BerthError('BERTH_NOT_FOUND', `cannot read lab state file ${path} (${(e as NodeJS.ErrnoException).code})`, { file: path });
  }
  let state: LabState;
  try {
    state = JSON.parse(text) as LabState;
  } catch (e) {
    throw new BerthError('BERTH_CONFIG', `lab state file ${path} is not JSON: ${(e as Error).message}`, { file: path });
  }
  const ns = state?.namespace;
  const valid =
    state?.format === 1 &&
    typeof state.name === 'string' &&
    labNamePattern.test(state.name) &&
    ns?.name === state.name &&
    typeof ns.inode === 'string' &&
    Array.isArray(ns.processes) &&
    ns.processes.every((p) => Number.isInteger(p?.pid) && p.pid > 1 && typeof p.startTime === 'string') &&
    Number.isInteger(state.owner?.pid) &&
    Array.isArray(state.nodes);
  if (!valid) {
    throw new BerthError('BERTH_CONFIG', `${path} is not a berth lab state file (or names a namespace berth would not have made)`, { file: path });
  }
  return state;
}

/** State files of every lab under `labsRoot`, sorted by lab name. */
export function listLabStateFiles(labsRoot: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(labsRoot);
  } catch {
    return [];
  }
  return entries
    .filter((e) => labNamePattern.test(e))
    .sort()
    .map((e) => stateFileOf(join(labsRoot, e)))
    .filter((f) => {
      try {
        readFileSync(f);
        return true;
      } catch {
        return false;
      }
    });
}
