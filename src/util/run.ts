/**
 * The one subprocess runner of berth. Every external tool (openssl, mkfs,
 * qemu-img, ...) goes through `run`, so every failure reads the same way: the
 * command line, how it ended (exit code, signal or timeout) and the tail of
 * its stderr, which is where tools explain themselves.
 *
 * Never a shell: arguments are passed as an array, so a node name or a path
 * with spaces or `$(...)` in it is data, not code.
 */
import { spawn } from 'node:child_process';
import { BerthError } from '../errors.ts';

export interface RunOptions {
  /** Written to the child's stdin, which is then closed. Without it stdin is /dev/null. */
  input?: string | Buffer;
  /** Kill the child (its whole process group) after this long. No limit by default. */
  timeoutMs?: number;
  cwd?: string;
  /** Added to (and overriding) this process's environment, so PATH and friends survive; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Exit codes that count as success; default [0]. */
  allowedExitCodes?: number[];
}

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** How many lines of stderr an error message quotes; the rest is on `error.stderr`. */
const stderrTailLines = 20;
/** After SIGTERM on timeout, how long the group gets to clean up before SIGKILL. */
const killGraceMs = 2000;

export class SubprocessError extends BerthError {
  /** The child's exit code; null when it was killed by a signal or never started. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  /** The command and its arguments, as passed to `run`. */
  readonly command: string[];
  readonly stdout: string;
  readonly stderr: string;

  constructor(
    message: string,
    details: {
      exitCode: number | null;
      signal: NodeJS.Signals | null;
      timedOut: boolean;
      command: string[];
      stdout: string;
      stderr: string;
    },
  ) {
    super('BERTH_SUBPROCESS', message);
    this.name = 'SubprocessError';
    this.exitCode = details.exitCode;
    this.signal = details.signal;
    this.timedOut = details.timedOut;
    this.command = details.command;
    this.stdout = details.stdout;
    this.stderr = details.stderr;
  }
}

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const allowed = opts.allowedExitCodes ?? [0];
  const command = [cmd, ...args];
  const commandLine = formatCommandLine(command);

  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ? withoutUndefined({ ...process.env, ...opts.env }) : process.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      // Own process group, so a timeout can kill the tool and everything it
      // started (a hung `mount` under a wrapper script, say) with one kill(-pgid).
      detached: true,
      shell: false,
    });

    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => stdout.push(b));
    child.stderr!.on('data', (b: Buffer) => stderr.push(b));

    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    let graceTimer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        timedOut = true;
        killGroup(child.pid, 'SIGTERM');
        graceTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), killGraceMs);
      }, opts.timeoutMs);
    }

    if (opts.input !== undefined) {
      // A child that exits without reading its input makes the write fail with
      // EPIPE; its exit status is the real story, so the write error is dropped.
      child.stdin!.on('error', () => {});
      child.stdin!.end(opts.input);
    }

    let settled = false;
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null, spawnError?: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      const out = Buffer.concat(stdout).toString('utf8');
      const err = Buffer.concat(stderr).toString('utf8');
      if (spawnError === undefined && !timedOut && exitCode !== null && allowed.includes(exitCode)) {
        resolve({ stdout: out, stderr: err, code: exitCode });
        return;
      }
      let how: string;
      if (spawnError !== undefined) {
        how = spawnError.code === 'ENOENT' ? `could not start: ${cmd} not found` : `could not start: ${spawnError.message}`;
      } else if (timedOut) {
        how = `timed out after ${opts.timeoutMs} ms and was killed`;
      } else if (signal !== null) {
        how = `killed by ${signal}`;
      } else {
        how = `exited with code ${exitCode}`;
      }
      const tail = lastLines(err, stderrTailLines);
      const message = `command failed (${how}): ${commandLine}` + (tail ? `\n${indent(tail)}` : '');
      reject(
        new SubprocessError(message, {
          exitCode: spawnError ? null : exitCode,
          signal: spawnError ? null : signal,
          timedOut,
          command,
          stdout: out,
          stderr: err,
        }),
      );
    };

    child.on('error', (e: NodeJS.ErrnoException) => finish(null, null, e));
    // 'close' rather than 'exit': it waits for stdout/stderr to drain, so no output is lost.
    child.on('close', (code, signal) => finish(code, signal));
  });
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone, which is what we wanted.
  }
}

/** Renders the command so it can be pasted into a shell to reproduce the failure. */
export function formatCommandLine(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}

function lastLines(text: string, n: number): string {
  const lines = text.trimEnd().split('\n');
  return lines.slice(-n).join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

function withoutUndefined(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}
