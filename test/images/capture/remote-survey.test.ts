import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeProcPath, parseSurvey, sshFailureCause } from '../../../src/images/capture/remote-survey.ts';

describe('parseSurvey', () => {
  it('reads the root, tar version, swap files and mounts the survey script prints', () => {
    const stdout = [
      'root=/srv/chroot',
      'tar=tar (GNU tar) 1.34',
      '@swaps',
      'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority',
      '/dev/vda3                               partition\t2097148\t\t0\t\t-2',
      '/swap\\040file                          file\t\t1048572\t\t0\t\t-3',
      '@mounts',
      '/dev/vda1 / ext4 rw,relatime 0 0',
      'proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0',
      'server:/export /home/with\\040space nfs4 rw 0 0',
      '',
    ].join('\n');
    assert.deepEqual(parseSurvey(stdout), {
      physicalRoot: '/srv/chroot',
      tarVersion: 'tar (GNU tar) 1.34',
      swapFiles: ['/swap file'],
      mounts: [
        { path: '/', type: 'ext4' },
        { path: '/proc', type: 'proc' },
        { path: '/home/with space', type: 'nfs4' },
      ],
    });
  });

  it('refuses output that is not the survey (a login banner script, a wrong shell)', () => {
    assert.throws(() => parseSurvey('Welcome!\n'), { code: 'BERTH_SUBPROCESS' });
  });

  it('decodes the kernel\'s octal escapes', () => {
    assert.equal(decodeProcPath('/a\\040b\\011c\\012d\\134e'), '/a b\tc\nd\\e');
  });
});

describe('sshFailureCause', () => {
  it('names what to check from ssh\'s own words', () => {
    assert.match(sshFailureCause('root@10.0.0.5: Permission denied (publickey).'), /authorized_keys/);
    assert.match(sshFailureCause('Host key verification failed.'), /host key/);
    assert.match(sshFailureCause('ssh: connect to host 10.0.0.5 port 22: Connection refused'), /address and port/);
    assert.match(sshFailureCause('ssh: Could not resolve hostname x: Name or service not known'), /does not resolve/);
    assert.equal(sshFailureCause('kex_exchange_identification: read: Connection reset by peer'), 'could not connect or log in');
  });
});
