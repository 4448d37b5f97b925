/**
 * Mutated installer requests against a real daemon with a scripted install
 * deployed: paths, tokens, report queries and media paths with random bytes,
 * percent escapes, dot segments and long names. Every answer is a 2xx, 3xx
 * or 4xx (never a 500), no request reads outside the media tree, and the
 * daemon stays up.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { test } from 'node:test';
import { startDaemon } from '../helpers/daemon.ts';
import { prng, randomText } from './random-text.ts';

const NETBOOT = '/usr/lib/debian-installer/images/12/amd64/text';
const SEED = Number(process.env['BERTH_FUZZ_SEED'] ?? 20261121);
const ROUNDS = Number(process.env['BERTH_FUZZ_ROUNDS'] ?? 4000) / 2;
const skip = process.getuid?.() !== 0 ? 'needs root (media import)' : existsSync(NETBOOT) ? false : `${NETBOOT} is missing`;

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.setEncoding('latin1').on('data', (c: string) => (body += c.length > 4096 ? c.slice(0, 4096) : c)).on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject).end();
  });
}

test('installer endpoints answer mutated requests with 4xx, never 500, never outside the media', { skip }, async () => {
  const daemon = await startDaemon();
  try {
    const ok = (args: string[]) => {
      const r = daemon.cli(args, { env: { BERTH_STATE_DIR: daemon.stateDir } });
      assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const port = JSON.parse(ok(['boot', 'status', '--json'])).httpPort as number;
    ok(['media', 'import', NETBOOT, '--name', 'deb12']);
    ok(['node', 'define', 'a', 'net.eth0.hwaddr=52:54:00:cc:00:01', `crypted.rootpassword=$6$salt$${'c'.repeat(86)}`]);
    ok(['deploy', 'a', 'deb12-default', '--arm', 'continuous', '--no-wait']);
    const ipxe = JSON.parse(ok(['profile', 'render', 'deb12-default', 'a', '--json'])).ipxe as string;
    const token = /\/install\/a\/([A-Za-z0-9_-]{43})\//.exec(ipxe)![1]!;
    const templates = [
      `/install/a/${token}/preseed.cfg`,
      `/install/a/${token}/report?step=installing&state=installing&reason=started+now`,
      `/install/a/${token}/ipxe/pcbios`,
      `/install/a/${token}/post.sh`,
      `/media/deb12/debian-installer/amd64/linux`,
      `/media/deb12/version.info`,
    ];
    const alphabet = `abc/.%2eE0ff?&=;~-_+${token.slice(0, 6)}\u00e9\u0000`;
    const random = prng(SEED);
    const statuses = new Map<number, number>();
    for (let i = 0; i < ROUNDS; i++) {
      const template = templates[Math.floor(random() * templates.length)]!;
      const roll = random();
      let path: string;
      if (roll < 0.3) {
        const at = Math.floor(random() * template.length);
        path = template.slice(0, at) + randomText(random, alphabet, 12) + template.slice(at + Math.floor(random() * 6));
      } else if (roll < 0.5) {
        path = template.replace(/\/[^/]*$/, `/${['..', '.', '%2e%2e', '..%2f..', '%E0%A4%A', 'x'.repeat(300)][Math.floor(random() * 6)]}`);
      } else if (roll < 0.7) {
        path = template.split('/').map((s) => (random() < 0.2 ? randomText(random, alphabet, 8) : s)).join('/');
      } else {
        path = template + (random() < 0.5 ? `&${randomText(random, alphabet, 30)}` : `/${randomText(random, alphabet, 20)}`);
      }
      if (!path.startsWith('/')) path = `/${path}`;
      // Node's client refuses some bytes in a path; a raw client would send them, the server's URL parser sees the same escapes.
      path = path.replace(/[\u0000-\u0020\u007f-\uffff]/g, (c) => encodeURIComponent(c));
      const { status, body } = await get(port, path);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      assert.ok(status < 500, `GET ${path} → ${status} ${body.slice(0, 200)}`);
      assert.doesNotMatch(body, /BEGIN (EC |RSA )?PRIVATE KEY|"sha256"/, `GET ${path} served something it must not`);
    }
    assert.equal((await get(port, '/boot/ipxe/52:54:00:cc:00:01')).status, 200, 'the daemon is still up');
    process.stdout.write(`# statuses: ${JSON.stringify(Object.fromEntries(statuses))}\n`);
  } finally {
    await daemon.stop();
    daemon.cleanup();
  }
});
