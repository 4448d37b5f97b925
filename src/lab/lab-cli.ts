/** Runs the real `berth` CLI for the lab (the lab uses berth the way an administrator does). */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { BerthError } from '../errors.ts';

const BERTH = resolve(import.meta.dirname, '../../bin/berth');

export function runCli(env: Record<string, string>, args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(BERTH, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolvePromise(stdout);
      else reject(new BerthError('BERTH_SUBPROCESS', `berth ${args.join(' ')} failed (${code}): ${stderr.trim()}`));
    });
  });
}
