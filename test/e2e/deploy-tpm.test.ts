/**
 * Node API keys sealed in a TPM 2.0, end to end: a VM with swtpm boots the
 * e2e Debian 12 image untethered three times.
 *
 * 1. Armed once: the node is granted a key, seals it in the TPM under the
 *    PCR 15 policy and extends PCR 15 before switch_root; from the booted OS,
 *    over SSH, `tpm2_unseal` of that very object fails and PCR 15 is not zero.
 * 2. Not armed (the pending profile is still set, so the next network boot
 *    boots it again): the node unseals its key and boots without a grant. From
 *    this booted OS, the key in /run/berth/node.key opens the node API until
 *    `berth node revoke-key`, then gets 401.
 * 3. Revoked: the unsealed key is refused; the node asks for a new one, which
 *    berth refuses (not armed), again and again, and fetches nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { BerthLab } from '../../src/lab/berth-lab.ts';
import { labUnsupportedReason } from '../../src/lab/namespace.ts';
import type { VmHandle } from '../../src/lab/vm.ts';
import { labSession } from '../helpers/lab-session.ts';
import { labImageTree } from '../../src/lab/lab-image.ts';

const unsupported =
  (await labUnsupportedReason()) ??
  (spawnSync('mmdebstrap', ['--version']).status !== 0 ? 'mmdebstrap is not installed' : undefined) ??
  (spawnSync('sh', ['-c', 'command -v swtpm']).status !== 0 ? 'swtpm is not installed' : undefined);
const BOOT_TIMEOUT_MS = 15 * 60_000;
/** The lab names its machines node1..N and gives node n the address 10.99.0.(n+10). */
const NODE = 'node1';
const HANDLE = '0x8100BE47';
const VM = { firmware: 'bios', memoryMb: 1536, swtpm: true } as const;

describe('node keys sealed in a TPM (swtpm)', { skip: unsupported && `no lab here: ${unsupported}`, timeout: 75 * 60_000 }, () => {
  let lab: BerthLab;
  const session = labSession({ node: NODE, pollMs: 3000 });
  const { ok, state, waitFor, ssh } = session;
  /** The node's timeline since `mark` (an ISO time), as source:step. */
  const since = (mark: string) => session.timeline().filter((e) => e.time >= mark);
  const stepsSince = (mark: string) => since(mark).map((e) => `${e.source}:${e.step}`);
  /** Boots the node, waits for its `booted` report after `mark`, and says how long it took. */
  const bootUntilBooted = async (mark: string, diagnostic: (m: string) => void): Promise<VmHandle> => {
    const vm = await lab.lab.bootVm(0, VM);
    try {
      await waitFor('the node to report booted', () => stepsSince(mark).includes('node:booted'), BOOT_TIMEOUT_MS);
    } catch (e) {
      await vm.stop();
      throw e;
    }
    diagnostic(`booted ${((Date.now() - vm.startedAt) / 1000).toFixed(0)} s after power-on (TCG)`);
    return vm;
  };

  before(async () => {
    lab = await session.start({ nodes: 1 });
    await labImageTree(lab.stateDir, 'e2e');
    ok(['image', 'pack', 'e2e', '--level', '3']);
    ok(['node', 'set', NODE, `ssh.admin_keys=${session.adminKey()}`]);
    session.writeKnownHosts();
    ok(['profile', 'define', 'diskless', '--image', 'e2e@1', '--boot-method', 'untethered', '--kernel-args', 'console=ttyS0 panic=10']);
  });
  after(async () => {
    await lab?.down();
  });

  it('armed once: the key is granted, sealed under PCR 15, and the booted OS cannot unseal it', async (t) => {
    ok(['deploy', NODE, 'diskless', '--arm', 'once', '--no-wait']);
    const mark = new Date().toISOString();
    const vm = await bootUntilBooted(mark, (m) => t.diagnostic(m));
    try {
      const seen = stepsSince(mark);
      for (const step of ['api:key-granted', 'node:key-received', 'node:key-sealed', 'node:tpm-locked', 'node:booted']) {
        assert.ok(seen.includes(step), `${step} in the timeline: ${seen.join(' ')}`);
      }
      assert.ok(seen.indexOf('node:key-sealed') < seen.indexOf('node:tpm-locked'), 'sealed before the lock');
      const locked = since(mark).find((e) => e.step === 'tpm-locked')!;
      assert.match(String(locked.detail?.['message']), /sha256:15 = 0x[0-9A-F]{64}/);
      assert.equal(state().armed, null, 'armed once: disarmed by the grant');

      const r = ssh(`tpm2_getcap handles-persistent; tpm2_pcrread sha256:15; stat -c 'key %a %U' /run/berth/node.key; tpm2_unseal -c ${HANDLE} -p pcr:sha256:15 >/dev/null; echo "unseal=$?"`);
      assert.equal(r.status, 0, `ssh: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`- ${HANDLE}`, 'i'), 'the sealed key is in the TPM');
      const pcr = /15: (0x[0-9A-F]+)/.exec(r.stdout)?.[1];
      assert.ok(pcr && /[1-9A-F]/.test(pcr.slice(2)), `PCR 15 is extended: ${r.stdout}`);
      assert.match(r.stdout, /^key 600 root$/m, 'the key in /run is root\'s alone');
      assert.match(r.stdout, /^unseal=[1-9]/m, 'tpm2_unseal fails in the booted OS');
      assert.match(r.stderr, /0x99D|policy check failed/i);
    } finally {
      await vm.stop();
    }
  });

  it('not armed: the next boot unseals the key and boots without a grant; revoke-key shuts that key out', async (t) => {
    const before = state();
    assert.equal(before.armed, null);
    assert.equal(before.pending, 'diskless', 'the pending profile stays: the next network boot boots it again');
    const mark = new Date().toISOString();
    const vm = await bootUntilBooted(mark, (m) => t.diagnostic(m));
    try {
      const seen = stepsSince(mark);
      for (const step of ['node:key-unsealed', 'api:image-key', 'node:tpm-locked', 'node:booted']) assert.ok(seen.includes(step), `${step} in the timeline: ${seen.join(' ')}`);
      for (const step of ['api:key-granted', 'api:key-refused', 'node:key-received', 'node:key-sealed']) assert.ok(!seen.includes(step), `no ${step} in this boot: ${seen.join(' ')}`);

      // The booted OS holds the key berth knows: it opens the node API, until it is revoked.
      const probe = `. /run/berth/env; printf 'Authorization: BerthNode %s:%s\\n' "$BERTH_NODE" "$(cat /run/berth/node.key)" | curl -s -o /dev/null -w '%{http_code}\\n' --cacert /etc/berth/ca.pem -H @- "$BERTH_SERVER/node/v1/nodes/$BERTH_NODE/deployment"`;
      const open = ssh(probe);
      assert.equal(open.status, 0, open.stderr);
      assert.equal(open.stdout.trim(), '200');
      assert.match(ok(['node', 'revoke-key', NODE]), /revoked the node keys of node1/);
      const shut = ssh(probe);
      assert.equal(shut.stdout.trim(), '401', 'a revoked key opens nothing');
    } finally {
      await vm.stop();
    }
  });

  it('revoked: the unsealed key is refused, the node asks again and again for a new one, and fetches nothing', async () => {
    assert.equal(state().key, false);
    const mark = new Date().toISOString();
    const vm = await lab.lab.bootVm(0, VM);
    try {
      // The first refusal, then one more after the back-off: retrying, not hanging.
      await waitFor('two key refusals', () => stepsSince(mark).filter((s) => s === 'api:key-refused').length >= 2, BOOT_TIMEOUT_MS);
      const events = since(mark);
      const seen = events.map((e) => `${e.source}:${e.step}`);
      for (const step of ['api:key-granted', 'api:image-key', 'node:key-unsealed', 'node:fetching', 'node:fetched', 'node:booted']) assert.ok(!seen.includes(step), `no ${step}: ${seen.join(' ')}`);
      assert.match(String(events.find((e) => e.step === 'key-refused')!.detail?.['reason']), /not armed/);
      await vm.waitForConsole(/berth refused the key sealed in the TPM/, 60_000);
      assert.equal(state().key, false);
    } finally {
      await vm.stop();
    }
  });
});
