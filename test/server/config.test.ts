import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromEnv, loadConfig, mergeConfig, parseConfig } from '../../src/server/config.ts';
import { BerthError } from '../../src/errors.ts';

async function configFile(t: { after: (fn: () => Promise<void>) => void }, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-config-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'berth.yaml');
  await writeFile(path, text);
  return path;
}

/** The BERTH_CONFIG error `fn` throws. */
function configErrorOf(fn: () => unknown): BerthError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof BerthError, String(e));
    assert.equal(e.code, 'BERTH_CONFIG');
    return e;
  }
  assert.fail('expected a BERTH_CONFIG error');
}
const lines = (e: BerthError) => e.more.map((m) => `${m.where.line}: ${m.message.replace(/^[^:]+:\d+: /, '')}`);

const example = `# a full file
state_dir: /srv/berth
api:
  listen: ["*:9443", "192.0.2.1:8443", "[2001:db8::1]:8443", "localhost:8443"]
  socket: /run/berth/admin.sock
  socket_group: berth-admins
log:
  level: debug
  format: text
tls:
  hostnames: [berth.example.org, Deploy.Example.org]
  addresses: [198.51.100.7, "2001:db8::2"]
`;

test('defaults without any file', async () => {
  const c = await loadConfig(undefined, { BERTH_CONFIG: '' }, {});
  // /etc/berth/berth.yaml does not exist on a test machine
  assert.deepEqual(c, {
    file: undefined,
    stateDir: '/var/lib/berth',
    api: { listen: [{ host: undefined, port: 8443 }], socket: '/var/lib/berth/admin.sock', socketGroup: undefined },
    log: { level: 'info', format: undefined },
    tls: { hostnames: [], addresses: [] },
    boot: { httpPort: 8080, tftpPort: 69, dhcpPort: 67, proxyPort: 4011, networks: [], listen: [], nbdPort: 10809, nbdPeers: [] },
  });
});

test('a full file is read', async (t) => {
  const path = await configFile(t, example);
  const c = await loadConfig(path, {});
  assert.deepEqual(c, {
    file: path,
    stateDir: '/srv/berth',
    api: {
      listen: [
        { host: undefined, port: 9443 },
        { host: '192.0.2.1', port: 8443 },
        { host: '2001:db8::1', port: 8443 },
        { host: 'localhost', port: 8443 },
      ],
      socket: '/run/berth/admin.sock',
      socketGroup: 'berth-admins',
    },
    log: { level: 'debug', format: 'text' },
    tls: { hostnames: ['berth.example.org', 'deploy.example.org'], addresses: ['198.51.100.7', '2001:db8::2'] },
    boot: { httpPort: 8080, tftpPort: 69, dhcpPort: 67, proxyPort: 4011, networks: [], listen: [], nbdPort: 10809, nbdPeers: [] },
  });
});

test('NBD: the port (off turns it off) and the peers nodes attach besides this server', () => {
  assert.deepEqual(parseConfig('boot:\n  nbd_port: off\n  nbd_peers: ["192.0.2.2:10809", "[2001:db8::3]:10810", "berth2.example.org:10809"]\n', 'f').boot, {
    nbdPort: null,
    nbdPeers: [
      { host: '192.0.2.2', port: 10809 },
      { host: '2001:db8::3', port: 10810 },
      { host: 'berth2.example.org', port: 10809 },
    ],
  });
  assert.throws(() => parseConfig('boot:\n  nbd_peers: [":10809"]\n', 'berth.yaml'), /boot\.nbd_peers.*a peer needs its address or host name/s);
  assert.throws(() => parseConfig('boot:\n  nbd_port: 70000\n', 'berth.yaml'), /boot\.nbd_port/);
  assert.throws(() => parseConfig('boot:\n  nbd_port: 0\n', 'berth.yaml'), /boot\.nbd_port/);
  assert.equal(parseConfig('boot:\n  nbd_port: 10810\n', 'f').boot?.nbdPort, 10810);
});

test('empty file and empty sections mean defaults', () => {
  assert.deepEqual(parseConfig('', 'f'), {});
  assert.deepEqual(parseConfig('# nothing\n', 'f'), {});
  assert.deepEqual(parseConfig('api:\nlog:\n  # level: debug\n', 'f'), {});
});

test('the socket follows the state dir unless set', () => {
  assert.equal(mergeConfig({ stateDir: '/srv/b' }).api.socket, '/srv/b/admin.sock');
  assert.equal(mergeConfig({ stateDir: '/srv/b', api: { socket: '/run/s' } }).api.socket, '/run/s');
});

test('precedence: flags > environment > file > defaults', async (t) => {
  const path = await configFile(t, 'state_dir: /from/file\nlog:\n  level: warn\n  format: json\n');
  const env = { BERTH_CONFIG: path, BERTH_STATE_DIR: '/from/env', BERTH_LOG_LEVEL: 'error' };
  const c = await loadConfig(undefined, env, { stateDir: '/from/flag' });
  assert.equal(c.file, path);
  assert.equal(c.stateDir, '/from/flag');
  assert.equal(c.log.level, 'error');
  assert.equal(c.log.format, 'json');
  assert.equal(c.api.socket, '/from/flag/admin.sock');
  const withoutFlag = await loadConfig(undefined, env);
  assert.equal(withoutFlag.stateDir, '/from/env');
  const fileOnly = await loadConfig(path, {});
  assert.equal(fileOnly.stateDir, '/from/file');
  assert.equal(fileOnly.log.level, 'warn');
});

test('a missing explicitly named file is an error; --config beats BERTH_CONFIG', async (t) => {
  await assert.rejects(loadConfig('/nonexistent/berth.yaml', {}), (e: unknown) => {
    assert.ok(e instanceof BerthError);
    assert.equal(e.code, 'BERTH_CONFIG');
    assert.equal(e.message, 'config file /nonexistent/berth.yaml (given with --config) does not exist');
    assert.deepEqual(e.where, { file: '/nonexistent/berth.yaml' });
    return true;
  });
  await assert.rejects(loadConfig(undefined, { BERTH_CONFIG: '/nonexistent/b.yaml' }), /\(given in BERTH_CONFIG\) does not exist/);
  const path = await configFile(t, 'state_dir: /x\n');
  assert.equal((await loadConfig(path, { BERTH_CONFIG: '/nonexistent/b.yaml' })).stateDir, '/x');
});

test('a config path that cannot be read is an error', async (t) => {
  const path = await configFile(t, '');
  // a directory where the file should be (running as root, modes would not stop the read)
  await assert.rejects(loadConfig(join(path, '..'), {}), /config file .* \(given with --config\) cannot be read: EISDIR/);
});

test('unknown keys, with suggestions, at their line', () => {
  const e = configErrorOf(() => parseConfig('state_dir: /x\napi:\n  lisen: ["*:1"]\nlisten: ["*:1"]\ncolour: red\n', '/etc/berth/berth.yaml'));
  assert.deepEqual(lines(e), [
    '3: unknown key api.lisen (did you mean api.listen?)',
    '4: unknown key listen (did you mean api.listen?)',
    '5: unknown key colour',
  ]);
  assert.deepEqual(e.where, { file: '/etc/berth/berth.yaml', line: 3, pointer: '/api/lisen' });
  assert.match(e.message, /^\/etc\/berth\/berth\.yaml has 3 problems:\n {2}\/etc\/berth\/berth\.yaml:3: unknown key api\.lisen/);
});

test('one problem: the message is that problem, with file and line', () => {
  const e = configErrorOf(() => parseConfig('\n\nlog:\n  level: verbose\n', '/etc/berth/berth.yaml'));
  assert.equal(e.message, '/etc/berth/berth.yaml:4: log.level: expected one of debug, info, warn, error, got string "verbose"');
  assert.deepEqual(e.where, { file: '/etc/berth/berth.yaml', line: 4, pointer: '/log/level' });
  assert.equal(e.more.length, 1);
});

test('wrong types name key and line', () => {
  const e = configErrorOf(() =>
    parseConfig(
      ['state_dir: 42', 'api: yes', 'log:', '  format: [json]', 'tls:', '  hostnames: berth.example', '  addresses:', '    - 192.0.2.1', '    - {a: 1}'].join('\n'),
      'f.yaml',
    ),
  );
  assert.deepEqual(lines(e), [
    '1: state_dir: expected an absolute path, got number 42',
    '2: api: expected a mapping (keys listen, socket, socket_group), got string "yes"',
    '4: log.format: expected one of json, text, got a list',
    '6: tls.hostnames: expected a list, got string "berth.example"',
    '9: tls.addresses[1]: expected an IP address, got a mapping',
  ]);
  assert.equal(e.more[4]!.where.pointer, '/tls/addresses/1');
});

test('bad values name key and line', () => {
  const e = configErrorOf(() =>
    parseConfig(
      [
        'state_dir: var/lib/berth',
        'api:',
        '  listen:',
        '    - "0.0.0.0:8443"',
        '    - "[::]:70000"',
        '    - "::1:8443"',
        '    - 8443',
        '  socket: admin.sock',
        '  socket_group: "wheel; rm -rf /"',
        'tls:',
        '  hostnames: ["-bad-.example"]',
        '  addresses: ["10.0.0.256"]',
        'log:',
        '  level:',
      ].join('\n'),
      'f.yaml',
    ),
  );
  assert.deepEqual(lines(e), [
    '1: state_dir: expected an absolute path, got "var/lib/berth"',
    '5: api.listen[1]: port must be 1-65535, got 70000 in "[::]:70000"',
    '6: api.listen[2]: expected "host:port" (e.g. "*:8443", "192.0.2.1:8443", "[::1]:8443"), got "::1:8443"',
    '7: api.listen[3]: expected "host:port" (e.g. "*:8443", "192.0.2.1:8443", "[::1]:8443"), got number 8443',
    '8: api.socket: expected an absolute path, got "admin.sock"',
    '9: api.socket_group: expected a group name or number, got "wheel; rm -rf /"',
    '11: tls.hostnames[0]: expected a DNS host name, got "-bad-.example"',
    '12: tls.addresses[0]: expected an IPv4 or IPv6 address, got "10.0.0.256"',
    '14: log.level: expected one of debug, info, warn, error, got nothing (remove the key to use the default)',
  ]);
});

test('YAML syntax errors and duplicate keys carry their line', () => {
  const e = configErrorOf(() => parseConfig('state_dir: /x\napi:\n  listen: [a\nlog: {\n', 'f.yaml'));
  assert.ok(e.more.length >= 1);
  assert.match(e.more[0]!.message, /^f\.yaml:\d+: YAML syntax: /);
  assert.equal(typeof e.where.line, 'number');

  const dup = configErrorOf(() => parseConfig('state_dir: /x\nstate_dir: /y\n', 'f.yaml'));
  assert.match(dup.message, /^f\.yaml:2: YAML syntax: .*unique/i);
});

test('the top level must be a mapping', () => {
  const e = configErrorOf(() => parseConfig('- state_dir: /x\n', 'f.yaml'));
  assert.equal(e.message, 'f.yaml:1: expected a mapping of settings at the top level');
});

test('anchors and aliases resolve', () => {
  const c = parseConfig('tls:\n  hostnames: &names [a.example]\napi:\n  socket_group: &g staff\n', 'f');
  assert.deepEqual(c.tls?.hostnames, ['a.example']);
  assert.equal(c.api?.socketGroup, 'staff');
});

test('bad environment values are BERTH_CONFIG naming the variable', () => {
  const e = configErrorOf(() => configFromEnv({ BERTH_LOG_LEVEL: 'loud', BERTH_LOG_FORMAT: 'xml' }));
  assert.deepEqual(
    e.more.map((m) => m.message),
    ['BERTH_LOG_LEVEL=loud: expected one of debug, info, warn, error, got string "loud"', 'BERTH_LOG_FORMAT=xml: expected one of json, text, got string "xml"'],
  );
  assert.equal(e.where.pointer, '/BERTH_LOG_LEVEL');
  assert.deepEqual(configFromEnv({ BERTH_STATE_DIR: '', BERTH_LOG_LEVEL: '' }), {});
});

test('the example in docs/config.md is valid', async () => {
  const doc = await readFile(new URL('../../docs/config.md', import.meta.url), 'utf8');
  const example = /## Example\n+```yaml\n([\s\S]*?)```/.exec(doc)![1]!;
  const c = mergeConfig(parseConfig(example, 'docs/config.md'));
  assert.equal(c.stateDir, '/srv/berth');
  assert.deepEqual(c.api.listen, [{ host: '10.0.0.1', port: 8443 }, { host: '127.0.0.1', port: 8443 }]);
});

test('":port" means every address, like "*:port"', () => {
  assert.deepEqual(parseConfig('api:\n  listen: [":9000"]\n', 'f').api?.listen, [{ host: undefined, port: 9000 }]);
});

test('boot networks are read, and each mistake names the network, key and line', () => {
  const good = parseConfig(
    'boot:\n  http_port: 8081\n  networks:\n    - name: mgmt\n      subnet: 10.1.0.0/16\n      mode: full\n      server_address: 10.1.0.1\n      pool: 10.1.250.1-10.1.250.254\n      dns_servers: [10.1.0.1]\n    - name: site\n      subnet: 192.0.2.0/24\n      mode: proxy\n      server_address: 192.0.2.10\n',
    'f',
  );
  assert.equal(good.boot?.httpPort, 8081);
  assert.deepEqual(good.boot?.networks?.map((n) => [n.name, n.mode, n.pool?.start]), [['mgmt', 'full', '10.1.250.1'], ['site', 'proxy', undefined]]);
  const bad = (text: string): BerthError => {
    try {
      parseConfig(text, 'berth.yaml');
    } catch (e) {
      return e as BerthError;
    }
    assert.fail('expected a config error');
  };
  const outside = bad('boot:\n  networks:\n    - name: mgmt\n      subnet: 10.1.0.0/16\n      server_address: 10.2.0.1\n');
  assert.equal(outside.code, 'BERTH_CONFIG');
  assert.match(outside.message, /berth\.yaml:3: .*network mgmt: server_address: 10\.2\.0\.1 is not inside 10\.1\.0\.0\/16/);
  assert.match(bad('boot:\n  networks:\n    - name: p\n      subnet: 10.1.0.0/16\n      mode: proxy\n      server_address: 10.1.0.1\n      pool: 10.1.0.5-10.1.0.9\n').message, /a proxy network hands out no addresses/);
  assert.match(bad('boot:\n  networks:\n    - name: a\n      subnet: 10.1.0.0/16\n      server_address: 10.1.0.1\n    - name: a\n      subnet: 10.2.0.0/16\n      server_address: 10.2.0.1\n').message, /two networks are named a/);
  assert.match(bad('boot:\n  networks:\n    - name: a\n      subnet: 10.1.0.0/16\n      server_address: 10.1.0.1\n      colour: red\n').message, /unknown key colour/);
});
