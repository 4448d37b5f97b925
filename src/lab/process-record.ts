/**
 * Processes the lab started, remembered so they can be stopped later, even by
 * another berth process after a crash. A PID alone is not enough: after the
 * process dies the kernel may hand the number to something else. So each
 * record also keeps the process's start time (field 22 of /proc/<pid>/stat,
 * clock ticks since boot), and a PID is signalled only while both still match.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProcessRecord {
  pid: number;
  /** Start time from /proc/<pid>/stat, as a decimal string. */
  startTime: string;
  /** What it is, for people: "vm node1", "dnsmasq"... */
  label: string;
  command: string[];
}

/** The start time of `pid`, or undefined when there is no such process. */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself contain ") ",
  // so the fields are counted from the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state), so field 22 is rest[19].
  const state = rest[0];
  if (state === 'Z' || state === 'X') return undefined; // exited, waiting to be reaped
  return rest[19];
}

/** True while the recorded process is still the one that runs under that PID. */
export function isRunning(record: ProcessRecord): boolean {
  return processStartTime(record.pid) === record.startTime;
}

/**
 * Stops the recorded process: SIGTERM to its process group (it was started as
 * a group leader, so this also reaches anything it started), then SIGKILL
 * after `graceMs`. Returns false when it was already gone.
 */
export async function terminate(record: ProcessRecord, graceMs = 5000): Promise<boolean> {
  if (!signalRecorded(record, 'SIGTERM')) return false;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await sleep(100);
    if (!isRunning(record)) return true;
  }
  signalRecorded(record, 'SIGKILL');
  for (let i = 0; i < 50 && isRunning(record); i++) await sleep(100);
  return true;
}

/** SIGKILL without waiting, for the exit path where nothing asynchronous runs any more. */
export function killNow(record: ProcessRecord): void {
  signalRecorded(record, 'SIGKILL');
}

function signalRecorded(record: ProcessRecord, signal: NodeJS.Signals): boolean {
  if (!isRunning(record)) return false;
  try {
    process.kill(-record.pid, signal);
  } catch {
    // Not a group leader after all (or the group is gone): the process itself.
    try {
      process.kill(record.pid, signal);
    } catch {
      return false;
    }
  }
  return true;
}
