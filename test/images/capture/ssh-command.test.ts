import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isBerthError } from '../../../src/errors.ts';
import { remoteCommand, sshArgs } from '../../../src/images/capture/ssh-command.ts';
import { run } from '../../../src/util/run.ts';

describe('sshArgs', () => {
  it('puts the caller\'s options before berth\'s defaults, so they win', () => {
    const args = sshArgs({ host: 'node1', sshOptions: ['BatchMode=no', 'ProxyJump=bastion'] }, ['true']);
    const options = args.flatMap((a, i) => (args[i - 1] === '-o' ? [a] : []));
    assert.ok(options.indexOf('BatchMode=no') < options.indexOf('BatchMode=yes'));
    assert.ok(options.includes('ProxyJump=bastion'));
  });

  it('pins the host key when given a known hosts file, and offers only the given key', () => {
    const args = sshArgs({ host: '10.0.0.5', knownHostsFile: '/state/known_hosts', identityFile: '/state/id', port: 2200, user: 'admin' }, ['true']);
    const joined = args.join(' ');
    assert.match(joined, /-o UserKnownHostsFile=\/state\/known_hosts -o StrictHostKeyChecking=yes/);
    assert.match(joined, /-i \/state\/id -o IdentitiesOnly=yes/);
    assert.deepEqual(args.slice(-7, -1), ['-p', '2200', '-l', 'admin', '--', '10.0.0.5']);
    assert.equal(args.at(-1), 'true');
  });

  it('refuses hosts, users, ports and options ssh would misread', () => {
    const bad = [
      { host: '-oProxyCommand=touch /tmp/x' },
      { host: 'root@node1' },
      { host: 'node1 node2' },
      { host: '' },
      { host: 'node1', user: '-l' },
      { host: 'node1', port: 0 },
      { host: 'node1', port: 70000 },
      { host: 'node1', sshOptions: ['-F/dev/null'] },
      { host: 'node1', sshOptions: ['NoValue'] },
    ];
    for (const target of bad) {
      assert.throws(() => sshArgs(target, ['true']), (e) => isBerthError(e) && e.code === 'BERTH_BAD_INPUT', JSON.stringify(target));
    }
    for (const host of ['node1', 'node-1.example.org', '10.0.0.5', 'fe80::1%eth0', 'fd00::5']) sshArgs({ host }, ['true']);
  });
});

describe('remoteCommand', () => {
  it('is split back into exactly the same words by a POSIX shell', async () => {
    const words = ['plain', 'with space', "it's", '$(touch /tmp/pwned)', '`id`', '*', '--exclude=./a*b', '', 'back\\slash', '"dq"', ';&|<>'];
    const { stdout } = await run('sh', ['-c', remoteCommand(['printf', '%s\\0', ...words])], { timeoutMs: 10_000 });
    assert.deepEqual(stdout.split('\0').slice(0, -1), words);
  });
});
