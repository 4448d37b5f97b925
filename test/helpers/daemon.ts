/**
 * Starts a real `berth serve` (the bin/berth binary) on a temporary state dir
 * for API and CLI tests, and runs the real CLI against it. Each daemon is
 * stopped by its own PID. `runBerth` and `succeeded` are the one way a test
 * runs the CLI and insists it worked (the lab tests' session uses them too).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BERTH = join(ROOT, 'bin/berth');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real CLI, with `env` over this process's environment. */
export function runBerth(args: string[], env: Record<string, string>, options: { input?: string } = {}): CliResult {
  const result = spawnSync(BERTH, args, { input: options.input ?? '', encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 512 * 1024 * 1024 });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** The stdout of a CLI run that must have exited 0; otherwise the test fails with the command and its stderr. */
export function succeeded(args: string[], result: CliResult): string {
  assert.equal(result.code, 0, `berth ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

export interface Daemon {
  stateDir: string;
  socket: string;
  httpsPort: number;
  process: ChildProcess;
  log(): string;
  /** The real CLI against this daemon's socket. */
  cli(args: string[], options?: { input?: string; env?: Record<string, string> }): CliResult;
  /** `cli` that must exit 0: its stdout. */
  ok(args: string[], options?: { input?: string; env?: Record<string, string> }): string;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Removes the state dir; call after stop. */
  cleanup(): void;
}

/**
 * `netns`: run it inside that network namespace (`ip netns exec` execs in place, so the PID is still berth's).
 * `openFiles`: its RLIMIT_NOFILE, soft and hard (`prlimit` execs in place too).
 */
export async function startDaemon(options: { stateDir?: string; extraArgs?: string[]; env?: Record<string, string>; netns?: string; openFiles?: number } = {}): Promise<Daemon> {
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'berth-test-'));
  const socket = join(stateDir, 'admin.sock');
  const args = ['serve', '--state-dir', stateDir, '--listen', '127.0.0.1:0', '--boot-http-port', '0', '--tftp-port', '0', '--nbd-port', '0', ...(options.extraArgs ?? [])];
  const command = [...(options.openFiles ? ['prlimit', `--nofile=${options.openFiles}:${options.openFiles}`] : []), ...(options.netns ? ['ip', 'netns', 'exec', options.netns] : []), BERTH, ...args];
  const child = spawn(command[0]!, command.slice(1), {
    env: { ...process.env, BERTH_LOG_FORMAT: 'json', BERTH_LOG_LEVEL: 'info', BERTH_CONFIG: '', ...(options.env ?? {}) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.setEncoding('utf8');
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`berth serve did not start in 20 s:\n${log}`)), 20_000);
    child.stderr!.on('data', (chunk: string) => {
      log += chunk;
      const match = /"https":"[^"]*:(\d+)"/.exec(log);
      if (match && log.includes('berth serve started')) {
        clearTimeout(timer);
        resolvePort(Number(match[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`berth serve exited with ${code}:\n${log}`));
    });
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const cli: Daemon['cli'] = (args, cliOptions = {}) => runBerth(args, { BERTH_SOCKET: socket, BERTH_SERVER: '', BERTH_TOKEN: '', ...(cliOptions.env ?? {}) }, cliOptions);
  return {
    stateDir,
    socket,
    httpsPort: port,
    process: child,
    log: () => log,
    cli,
    ok: (args, cliOptions) => succeeded(args, cli(args, cliOptions)),
    api: (method, path, body) => apiRequest(socket, method, path, body),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
    cleanup() {
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

export function apiRequest(socketPath: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  return new Promise((resolveResponse, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      { socketPath, method, path, headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {} },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolveResponse({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
