/**
 * A real OpenSSH server for capture tests, in a network namespace of its own
 * (test/helpers/ssh-lab.ts), with a pinned host key: `knownHosts` names it,
 * `wrongKnownHosts` names another key, and `otherKey` is a client key sshd
 * does not accept.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../../src/util/run.ts';
import { startSshLab } from '../../helpers/ssh-lab.ts';

export { missingSshPrerequisite } from '../../helpers/ssh-lab.ts';

export interface TestSshServer {
  namespace: string;
  /** The server's address, as the test process reaches it. */
  host: string;
  port: number;
  /** Private key whose public half is in authorized_keys. */
  clientKey: string;
  /** A key sshd does not accept. */
  otherKey: string;
  /** known_hosts naming `host` with the server's real key. */
  knownHosts: string;
  /** known_hosts naming `host` with some other key. */
  wrongKnownHosts: string;
  dir: string;
  stop(): Promise<void>;
}

export async function startSshServer(): Promise<TestSshServer> {
  const lab = await startSshLab();
  const { dir, host } = lab;
  try {
    for (const name of ['host_key', 'other_key']) {
      await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `berth-test-${name}`, '-f', join(dir, name)], { timeoutMs: 10_000 });
    }
    const publicOf = async (name: string) => (await readFile(join(dir, `${name}.pub`), 'utf8')).split(' ').slice(0, 2).join(' ');
    await writeFile(join(dir, 'known_hosts'), `${host} ${await publicOf('host_key')}\n`);
    await writeFile(join(dir, 'wrong_known_hosts'), `${host} ${await publicOf('other_key')}\n`);
    await lab.startSshd({ port: 22, hostKey: join(dir, 'host_key') });
  } catch (e) {
    await lab.stop();
    throw e;
  }
  return {
    namespace: lab.namespace,
    host,
    port: 22,
    clientKey: lab.clientKey,
    otherKey: join(dir, 'other_key'),
    knownHosts: join(dir, 'known_hosts'),
    wrongKnownHosts: join(dir, 'wrong_known_hosts'),
    dir,
    stop: () => lab.stop(),
  };
}
