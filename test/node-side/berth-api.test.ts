/**
 * The node-side helpers (src/node-side/core/berth-api.sh, berth-scripts.sh)
 * under dash and bash --posix against a real `berth serve` on loopback, with
 * curl wrapped by a recorder on PATH: the key is asked for and answered as
 * text, never appears in any process's argv, failures come back as a status
 * and a line on stderr, transient failures are retried a bounded number of
 * times, and a profile's scripts are fetched and run in order, the first
 * failure stopping the rest.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDaemon } from '../helpers/daemon.ts';
import type { Daemon } from '../helpers/daemon.ts';
import { writeFakeImageVersion } from '../helpers/fake-image-version.ts';

const CORE = resolve(import.meta.dirname, '../../src/node-side/core');
const SHELLS = [['dash'], ['bash', '--posix']].filter(([shell]) => spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0);
const CURL = spawnSync('sh', ['-c', 'command -v curl'], { encoding: 'utf8' }).stdout.trim();

describe('berth-api.sh against a real berth serve', { skip: !CURL && 'curl is not installed', timeout: 120_000 }, () => {
  let daemon: Daemon;
  let dir: string;
  let server: string;
  let key = '';
  const argvLog = () => join(dir, 'argv.log');

  /** Runs `body` after sourcing the helpers, as a node's shell would; curl is the recorder. */
  const sh = (body: string, env: Record<string, string> = {}, shell: string[] = SHELLS[0]!) => {
    const script = `. '${CORE}/berth-api.sh'; . '${CORE}/berth-scripts.sh'\n${body}`;
    const r = spawnSync(shell[0]!, [...shell.slice(1), '-c', script], {
      encoding: 'utf8',
      // stdin not a socket: bash would take itself for a remote shell and read ~/.bashrc.
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: `${join(dir, 'bin')}:${process.env['PATH']}`, BERTH_SERVER: server, BERTH_CA: join(daemon.stateDir, 'public/ca.pem'), BERTH_NODE: 'n1', BERTH_RUN: join(dir, 'run'), ...env },
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const cli = (args: string[]) => {
    const r = daemon.cli(args);
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const timeline = () => JSON.parse(cli(['node', 'timeline', 'n1', '--json'])).events as { source: string; step: string; detail?: Record<string, unknown> }[];
  const script = (folder: string, name: string, text: string) => {
    const file = join(daemon.stateDir, 'profiles/disk', folder, name);
    writeFileSync(file, text);
    chmodSync(file, 0o755);
  };

  before(async () => {
    daemon = await startDaemon();
    server = `https://127.0.0.1:${daemon.httpsPort}`;
    dir = mkdtempSync(join(tmpdir(), 'berth-api-sh-'));
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'run'));
    // The recorder: every curl's argv, one line per call, then the real curl with the same arguments and stdin.
    writeFileSync(join(dir, 'bin/curl'), `#!/bin/sh\nprintf '%s\\n' "curl $*" >> '${argvLog()}'\nexec '${CURL}' "$@"\n`);
    chmodSync(join(dir, 'bin/curl'), 0o755);
    await writeFakeImageVersion(daemon.stateDir, 'img', 1);
    cli(['profile', 'define', 'disk', '--image', 'img@1', '--boot-method', 'installtodisk']);
    cli(['node', 'define', 'n1', 'net.eth0.ipv4_address=127.0.0.1/8', 'ssh.principals=n1.example.org']);
    script('post.d', '10-first', `#!/bin/sh\necho "first on $BERTH_NODE" >> '${dir}/order'\n`);
    cli(['deploy', 'n1', 'disk', '--no-wait']);
  });
  after(async () => {
    await daemon?.stop();
    daemon?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the key is asked for and answered as text, then sent from a variable or a file, never on a command line', () => {
    const asked = sh(`berth_api POST /node/v1/key '{"node":"n1"}'`);
    assert.equal(asked.code, 0, asked.err);
    assert.match(asked.out, /^[A-Za-z0-9_-]{43}\n$/, 'the key alone, as text');
    key = asked.out.trim();
    writeFileSync(join(dir, 'node.key'), `${key}\n`, { mode: 0o600 });

    for (const shell of SHELLS) {
      const fromFile = sh(`berth_report from-file "reported by ${shell[0]}"; echo "status $?"`, { BERTH_KEY_FILE: join(dir, 'node.key'), BERTH_IMAGE: 'img@1' }, shell);
      assert.equal(fromFile.out, 'status 0\n', fromFile.err);
      const fromVariable = sh(`berth_api GET /node/v1/nodes/n1/authorized-keys > /dev/null && berth_api_event from-variable`, { BERTH_KEY: key }, shell);
      assert.equal(fromVariable.code, 0, fromVariable.err);
    }
    const events = timeline().filter((e) => e.source === 'node');
    const report = events.find((e) => e.step === 'from-file');
    assert.deepEqual(report?.detail, { image: 'img@1', message: 'reported by dash' });
    assert.ok(events.some((e) => e.step === 'from-variable'));

    const calls = readFileSync(argvLog(), 'utf8').trim().split('\n');
    assert.ok(calls.length >= 5, calls.join('\n'));
    for (const call of calls) {
      assert.ok(!call.includes(key), `the key is on a command line: ${call}`);
      assert.match(call, / -H @- /, 'headers from stdin');
    }
  });

  test('a refusal, a wrong key, no berth, no CA: a status that says which, and a line on stderr naming the request', () => {
    const again = sh(`berth_api POST /node/v1/key '{"node":"n1"}'`);
    assert.equal(again.code, 4, 'once is used up: refused');
    assert.equal(again.out, '');
    assert.match(again.err, /^berth-api: POST \/node\/v1\/key: HTTP 403 from berth: .*no node key granted/);

    const wrong = sh('berth_api_event wrong-key', { BERTH_KEY: 'A'.repeat(43) });
    assert.equal(wrong.code, 3);
    assert.match(wrong.err, /berth-api: POST \/node\/v1\/nodes\/n1\/events: HTTP 401 from berth: .*unknown or revoked/);
    assert.ok(!wrong.err.includes('A'.repeat(43)), 'the key is in no message');
    // A report never stops the work it reports on; a report without any key is not sent.
    assert.equal(sh('berth_report wrong-key; echo "went on $?"', { BERTH_KEY: 'A'.repeat(43) }).out, 'went on 0\n');
    assert.equal(sh('berth_report no-key; echo "went on $?"').err, '');

    const gone = sh('berth_api GET /node/v1/nodes/n1/authorized-keys', { BERTH_SERVER: 'https://127.0.0.1:1', BERTH_KEY: key });
    assert.equal(gone.code, 2);
    assert.match(gone.err, /berth-api: GET \/node\/v1\/nodes\/n1\/authorized-keys: berth is not reachable at https:\/\/127\.0\.0\.1:1 \(curl exit 7\)/);

    const noCa = sh('berth_api GET /x', { BERTH_CA: join(dir, 'missing.pem') });
    assert.equal(noCa.code, 1);
    assert.match(noCa.err, /berth's CA certificate .*missing\.pem is missing/);
    assert.equal(sh('berth_api GET /x', { BERTH_SERVER: '' }).code, 1);
  });

  test('SSH host certificates come back as text, one line per key', () => {
    const keyFile = join(dir, 'ssh_host_ed25519_key');
    assert.equal(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]).status, 0);
    const r = sh(`berth_host_certificate '${keyFile}.pub'`, { BERTH_KEY_FILE: join(dir, 'node.key') });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^ssh-ed25519-cert-v01@openssh\.com \S+ n1\n$/);
    writeFileSync(`${keyFile}-cert.pub`, r.out);
    const shown = spawnSync('ssh-keygen', ['-L', '-f', `${keyFile}-cert.pub`], { encoding: 'utf8' }).stdout;
    assert.match(shown, /host certificate/);
    assert.match(shown, /n1\.example\.org/);
  });

  test('the script runner: post.d fetched and run by name with a clean environment; the first failure stops the rest', () => {
    script('post.d', '20-env', `#!/bin/sh\nenv | sort > '${dir}/env'\n`);
    script('post.d', '25-fail', '#!/bin/sh\necho "cannot reach the license server"\nexit 3\n');
    script('post.d', '30-never', `#!/bin/sh\necho never >> '${dir}/order'\n`);
    const root = join(dir, 'target');
    mkdirSync(join(root, 'root'), { recursive: true });
    const run = sh(
      [
        `berth_scripts_fetch post.d '${root}/post.d' || { echo "fetch: $BERTH_SCRIPTS_ERROR"; exit 9; }`,
        'echo "fetched $BERTH_SCRIPTS_COUNT"',
        `berth_scripts_run post.d '${root}/post.d' '${root}/post.log' && exit 0`,
        'echo "ran $BERTH_SCRIPTS_COUNT: $BERTH_SCRIPTS_ERROR"; exit 1',
      ].join('\n'),
      { BERTH_KEY_FILE: join(dir, 'node.key'), BERTH_PROFILE: 'disk', BERTH_IMAGE: 'img@1', BERTH_DISK: '/dev/vda', SECRET_IN_CALLER: 'x' },
    );
    assert.equal(run.code, 1, run.out + run.err);
    assert.match(run.out, /^fetched 4\nran 2: post\.d\/25-fail exited with 3: (.|\n)*cannot reach the license server\n$/);
    assert.equal(readFileSync(join(dir, 'order'), 'utf8'), 'first on n1\n', 'by name, and nothing after the failure');
    const env = readFileSync(join(dir, 'env'), 'utf8');
    assert.match(env, /^BERTH_DISK=\/dev\/vda$/m);
    assert.match(env, /^BERTH_IMAGE=img@1$/m);
    assert.match(env, /^BERTH_PROFILE=disk$/m);
    assert.doesNotMatch(env, /SECRET_IN_CALLER|BERTH_KEY/, 'a clean environment');
    assert.match(readFileSync(join(root, 'post.log'), 'utf8'), /^== post\.d\/10-first\n== post\.d\/20-env\n== post\.d\/25-fail\ncannot reach the license server\n$/);
    const done = timeline().filter((e) => e.step === 'post-script').map((e) => e.detail?.['message']);
    assert.deepEqual(done, ['post.d/10-first done', 'post.d/20-env done']);
  });
});

describe('berth-api.sh retries what is transient, a bounded number of times', { skip: !CURL && 'curl is not installed', timeout: 60_000 }, () => {
  let dir: string;
  let http: Server;
  let port: number;
  let answers: number[] = [];
  let seen = 0;
  /** Asynchronous: the stand-in server answers from this process's event loop. */
  const sh = (body: string) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolveRun) => {
      const child = spawn('dash', ['-c', `. '${CORE}/berth-api.sh'\n${body}`], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env['PATH'], BERTH_SERVER: `http://127.0.0.1:${port}`, BERTH_CA: join(dir, 'ca.pem'), BERTH_NODE: 'n1' },
      });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
      child.on('close', (code) => resolveRun({ code, out, err }));
    });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-api-retry-'));
    writeFileSync(join(dir, 'ca.pem'), '');
    // A stand-in for berth answering with the statuses in `answers`, then 200.
    http = createServer((_request, response) => {
      const status = answers[seen++] ?? 200;
      response.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'the answer\n' : `{"error":{"message":"status ${status}"}}`);
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    port = (http.address() as { port: number }).port;
  });
  after(async () => {
    await new Promise((r) => http?.close(r));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('503 twice, then the answer: retried, with the body kept byte for byte', async () => {
    answers = [503, 503];
    seen = 0;
    const r = await sh('berth_api GET /node/v1/x');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'the answer\n');
    assert.equal(seen, 3);
  });

  test('berth failing throughout: four tries (1, 2, 4 s apart), then status 5', async () => {
    answers = [500, 502, 503, 504, 500, 500];
    seen = 0;
    const started = Date.now();
    const r = await sh('berth_api GET /node/v1/x');
    assert.equal(r.code, 5);
    assert.equal(seen, 4);
    assert.ok(Date.now() - started >= 6000, 'backed off between tries');
    assert.match(r.err, /^berth-api: GET \/node\/v1\/x: HTTP 504 from berth: .*status 504/, "the last answer");
  });

  test('a refusal is not retried', async () => {
    answers = [404];
    seen = 0;
    const r = await sh('berth_api GET /node/v1/x');
    assert.equal(r.code, 4);
    assert.equal(seen, 1);
  });
});
