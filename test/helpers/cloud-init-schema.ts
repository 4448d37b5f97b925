/**
 * cloud-init's own schema check (`cloud-init schema --config-file`) for
 * tests, without installing cloud-init on this host: its Debian package
 * would enable cloud-init's services for the host's next boot. Instead the
 * package (and python3-jsonpatch, the one dependency the host's Python
 * lacks) is fetched once with `apt-get download` into .cache/cloud-init/
 * (git-ignored) and unpacked there with `dpkg-deb -x`; the CLI runs from
 * that tree with the host's /usr/bin/python3 and its python3-jsonschema,
 * -yaml, -jinja2, -configobj and -requests.
 *
 * Debian 12 has cloud-init 22.4, whose schema takes Ubuntu's `autoinstall:`
 * key as opaque: a mapping with an integer `version`, nothing more is
 * checked. It checks the cloud-config around it, not the autoinstall
 * section (subiquity's own schema does that).
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../src/util/run.ts';

const CACHE = join(import.meta.dirname, '../../.cache/cloud-init');
const ROOT = join(CACHE, 'root');
const CLI = join(ROOT, 'usr/bin/cloud-init');
const PACKAGES = ['cloud-init', 'python3-jsonpatch'];

let prepared: Promise<string | undefined> | undefined;

/** Unpacks cloud-init once; resolves to why it cannot be used here, or undefined when it can. */
export function cloudInitUnavailable(): Promise<string | undefined> {
  prepared ??= prepare();
  return prepared;
}

async function prepare(): Promise<string | undefined> {
  if (!existsSync('/usr/bin/python3')) return 'no /usr/bin/python3';
  try {
    await run('/usr/bin/python3', ['-c', 'import jsonschema, yaml, jinja2, configobj, requests']);
  } catch {
    return "the host's Python lacks python3-jsonschema, -yaml, -jinja2, -configobj or -requests";
  }
  if (existsSync(CLI) && existsSync(join(ROOT, 'usr/lib/python3/dist-packages/jsonpatch.py'))) return undefined;
  mkdirSync(CACHE, { recursive: true });
  try {
    for (const stale of readdirSync(CACHE).filter((f) => f.endsWith('.deb'))) rmSync(join(CACHE, stale));
    await run('apt-get', ['download', ...PACKAGES], { cwd: CACHE, timeoutMs: 120_000 });
    for (const deb of readdirSync(CACHE).filter((f) => f.endsWith('.deb'))) await run('dpkg-deb', ['-x', join(CACHE, deb), ROOT]);
  } catch (e) {
    return `could not fetch cloud-init with apt-get download: ${(e as Error).message.split('\n')[0]}`;
  }
  return existsSync(CLI) ? undefined : 'the cloud-init package has no usr/bin/cloud-init';
}

/** Runs `cloud-init schema --config-file <file>`; ok with cloud-init's own words either way. */
export async function cloudInitSchema(file: string): Promise<{ ok: boolean; output: string }> {
  const reason = await cloudInitUnavailable();
  if (reason) throw new Error(reason);
  const result = await run('/usr/bin/python3', [CLI, 'schema', '--config-file', file], {
    env: { PYTHONPATH: join(ROOT, 'usr/lib/python3/dist-packages') },
    allowedExitCodes: [0, 1],
    timeoutMs: 60_000,
  });
  return { ok: result.code === 0, output: `${result.stdout}${result.stderr}`.trim() };
}
