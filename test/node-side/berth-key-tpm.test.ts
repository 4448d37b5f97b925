/**
 * The node-side key code (berth-key.sh) under dash against a real TPM 2.0
 * emulator (swtpm on loopback, no resource manager in between, so the
 * flushing needed with /dev/tpm0 is exercised too): sealing under the PCR 15
 * policy, replacing an older key, unsealing after a TPM reset, the lock that
 * makes it unsealable, falling back to a new key when berth refuses the
 * sealed one, and the ram/rearm policies and the no-TPM fallback. berth's
 * API is a shell stub here; the VM test (test/e2e/deploy-tpm.test.ts) runs
 * the same code in a real initramfs against a real berth.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

const CORE = resolve(import.meta.dirname, '../../src/node-side/core');
const missing = ['swtpm', 'swtpm_ioctl', 'tpm2_unseal', 'dash'].find((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
const KEY1 = 'A'.repeat(20) + '-_' + 'b'.repeat(21);
const KEY2 = 'Z'.repeat(43);
const HANDLE = '0x8100BE47';

function canListen(port: number): Promise<number | undefined> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once('error', () => resolvePort(undefined));
    server.listen(port, '127.0.0.1', () => {
      const bound = (server.address() as { port: number }).port;
      server.close(() => resolvePort(bound));
    });
  });
}

/** Two free loopback ports P and P+1: the swtpm TCTI finds the control channel at the server port + 1. */
async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await canListen(0);
    if (port !== undefined && port < 65535 && (await canListen(port + 1)) !== undefined) return port;
  }
}

describe('berth-key.sh with a TPM 2.0 (swtpm)', { skip: missing && `${missing} is not installed`, timeout: 120_000 }, () => {
  let dir: string;
  let swtpm: ChildProcess;
  let tcti: string;
  let ctrl: number;
  const tpm = (tool: string, args: string[]) => spawnSync(tool, args, { encoding: 'utf8', env: { ...process.env, TPM2TOOLS_TCTI: tcti } });
  /** TPM2_Init and Startup(CLEAR), as at power-on: PCRs back to zero, persistent objects kept. */
  const powerCycle = () => {
    assert.equal(spawnSync('swtpm_ioctl', ['--tcp', `127.0.0.1:${ctrl}`, '-i']).status, 0);
    assert.equal(tpm('tpm2_startup', ['-c']).status, 0);
  };
  const pcr15 = () => /15: (0x[0-9A-F]+)/.exec(tpm('tpm2_pcrread', ['sha256:15']).stdout)![1]!;
  const ZERO = '0x' + '0'.repeat(64);

  /**
   * Runs `body` under dash after sourcing the core, with berth's API, the
   * report and the log as stubs: the API answers from `api` (a case body on
   * "$1 $2", with berth-api.sh's statuses: 2 unreachable, 3 key refused,
   * 4 refused, 5 berth failed), reports and log lines go to stdout.
   */
  const sh = (body: string, options: { tpm?: boolean; api?: string } = {}) => {
    const run = join(dir, 'run');
    rmSync(run, { recursive: true, force: true });
    mkdirSync(run);
    const script = [
      `BERTH_LIB='${CORE}'`,
      `. '${CORE}/berth-boot.sh'`,
      `BERTH_RUN='${run}'; BERTH_CA=/dev/null; BERTH_SERVER=https://berth.invalid:8443; BERTH_NODE=n1; BERTH_IMAGE=img@3; BERTH_VERITY_ROOT_HASH=${'ab'.repeat(32)}`,
      `: > "$BERTH_RUN/env"`,
      `berth_log() { echo "log: $*"; }`,
      `berth_fail() { echo "fail: $*"; exit 3; }`,
      `berth_report() { echo "report $1: \${2:-}"; }`,
      `sleep() { :; }`,
      `berth_api() { case "$1 $2" in ${options.api ?? ''} *) echo "berth-api: $1 $2: HTTP 503 from berth" >&2; return 5 ;; esac; }`,
      options.tpm === false ? `berth_tpm_found() { return 1; }` : `berth_tpm_found() { TPM2TOOLS_TCTI='${tcti}'; export TPM2TOOLS_TCTI; }`,
      body,
    ].join('\n');
    const r = spawnSync('dash', ['-c', script], { encoding: 'utf8' });
    const env = existsSync(join(run, 'env')) ? readFileSync(join(run, 'env'), 'utf8') : '';
    const nodeKey = existsSync(join(run, 'node.key')) ? readFileSync(join(run, 'node.key'), 'utf8').trim() : undefined;
    return { code: r.status, out: r.stdout + r.stderr, env, nodeKey, leftovers: existsSync(join(run, 'tpm')) };
  };
  const sealAs = (key: string, policy = 'tpm') => sh(`berth_tpm_found; BERTH_TPM=1; BERTH_KEY=${key}; BERTH_KEY_FROM=berth; BERTH_KEY_POLICY=${policy}; berth_keep_key /nonexistent`);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-key-tpm-'));
    mkdirSync(join(dir, 'state'));
    const server = await freePortPair();
    const control = server + 1;
    ctrl = control;
    tcti = `swtpm:host=127.0.0.1,port=${server}`;
    swtpm = spawn('swtpm', ['socket', '--tpm2', '--tpmstate', `dir=${join(dir, 'state')}`, '--server', `type=tcp,port=${server},bindaddr=127.0.0.1`, '--ctrl', `type=tcp,port=${control},bindaddr=127.0.0.1`, '--flags', 'not-need-init,startup-clear'], { stdio: 'ignore' });
    for (let i = 0; i < 50 && tpm('tpm2_getcap', ['handles-persistent']).status !== 0; i++) await new Promise((r) => setTimeout(r, 100));
  });
  after(() => {
    if (swtpm?.pid !== undefined && swtpm.exitCode === null) swtpm.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('seals the key under the PCR 15 policy; berth_lock_tpm makes it unsealable until the TPM is reset', () => {
    const sealed = sealAs(KEY1);
    assert.equal(sealed.code, 0, sealed.out);
    assert.match(sealed.out, /report key-sealed: sealed in the TPM at 0x8100BE47/);
    assert.equal(sealed.env, "BERTH_KEY_POLICY='tpm'\n");
    assert.equal(sealed.leftovers, false, 'the sealing files are removed');
    assert.match(tpm('tpm2_getcap', ['handles-persistent']).stdout, new RegExp(HANDLE));
    assert.equal(tpm('tpm2_getcap', ['handles-transient']).stdout.trim(), '', 'nothing left loaded (no resource manager here)');
    assert.equal(tpm('tpm2_unseal', ['-c', HANDLE, '-p', 'pcr:sha256:15']).stdout, KEY1, 'unseals while PCR 15 is zero');

    const locked = sh('berth_tpm_found; BERTH_TPM=1; berth_lock_tpm');
    assert.equal(locked.code, 0, locked.out);
    assert.match(locked.out, /report tpm-locked: PCR 15 extended with the measurement of img@3 .* sha256:15 = 0x[0-9A-F]{64}/);
    assert.notEqual(pcr15(), ZERO);
    const refused = tpm('tpm2_unseal', ['-c', HANDLE, '-p', 'pcr:sha256:15']);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /0x99D|policy check failed/i);
    assert.equal(sh('berth_tpm_found; berth_tpm_unseal || echo refused').out.includes('refused'), true);
  });

  it('a later boot unseals it, uses it without asking berth for a key, and extends PCR 15 at once', () => {
    powerCycle();
    assert.equal(pcr15(), ZERO);
    const boot = sh('berth_get_key; echo "from=$BERTH_KEY_FROM tpm=$BERTH_TPM"', { api: `"POST /node/v1/nodes/n1/events") echo '{"ok":true}' ;; "POST /node/v1/key") echo ASKED-FOR-A-KEY; return 4 ;;` });
    assert.equal(boot.code, 0, boot.out);
    assert.match(boot.out, /from=tpm tpm=1/);
    assert.equal(boot.nodeKey, KEY1);
    assert.doesNotMatch(boot.out, /ASKED-FOR-A-KEY/);
    assert.ok(!boot.out.includes(KEY1), `the key is in no output:\n${boot.out}`);
    assert.notEqual(pcr15(), ZERO, 'extended right after the key phase');
    // Nothing to seal again: berth_keep_key leaves the TPM alone.
    const keep = sh('berth_tpm_found; BERTH_TPM=1; BERTH_KEY_FROM=tpm; BERTH_KEY_POLICY=tpm; berth_keep_key /x');
    assert.equal(keep.out, '');
  });

  it('a key berth refuses: asks for a new one (which needs arming), says key-refused, and the new one replaces the sealed one', () => {
    powerCycle();
    const boot = sh('berth_get_key; echo "from=$BERTH_KEY_FROM"; BERTH_KEY_POLICY=tpm; berth_keep_key /x', {
      api: `"POST /node/v1/nodes/n1/events") echo 'berth-api: POST /node/v1/nodes/n1/events: HTTP 401 from berth: the node key of n1 is unknown or revoked' >&2; return 3 ;; "POST /node/v1/key") echo '${KEY2}' ;;`,
    });
    assert.equal(boot.code, 0, boot.out);
    assert.match(boot.out, /log: berth refused the key sealed in the TPM/);
    assert.match(boot.out, /from=berth/);
    assert.match(boot.out, /report key-refused: /);
    assert.match(boot.out, /report key-sealed: /);
    assert.equal(boot.nodeKey, KEY2);
    assert.ok(!boot.out.includes(KEY1) && !boot.out.includes(KEY2), boot.out);
    powerCycle();
    assert.equal(tpm('tpm2_unseal', ['-c', HANDLE, '-p', 'pcr:sha256:15']).stdout, KEY2, 'the older object was replaced');
  });

  it('berth away is not a refusal: the unsealed key is offered again, never dropped', () => {
    powerCycle();
    const counter = join(dir, 'calls');
    rmSync(counter, { force: true });
    // Fails twice with a connection error, then takes the key.
    const boot = sh('berth_get_key; echo "from=$BERTH_KEY_FROM"', {
      api: `"POST /node/v1/nodes/n1/events") echo x >> '${counter}'; [ "$(wc -l < '${counter}')" -gt 2 ] && { echo ok; return 0; }; echo 'berth-api: POST /node/v1/nodes/n1/events: berth is not reachable (curl exit 7)' >&2; return 2 ;;`,
    });
    assert.equal(boot.code, 0, boot.out);
    assert.match(boot.out, /from=tpm/);
    assert.equal((boot.out.match(/did not answer for the unsealed key/g) ?? []).length, 2);
  });

  it('ram and rearm take an older sealed key out of the TPM', () => {
    powerCycle();
    const ram = sealAs(KEY1, 'ram');
    assert.equal(ram.code, 0, ram.out);
    assert.match(ram.out, /report key-in-ram: key policy ram: .*was removed/);
    assert.equal(ram.env, "BERTH_KEY_POLICY='ram'\n");
    assert.doesNotMatch(tpm('tpm2_getcap', ['handles-persistent']).stdout, new RegExp(HANDLE));
    const rearm = sealAs(KEY1, 'rearm');
    assert.match(rearm.out, /report key-rearm: key policy rearm: the key is dropped once the system reports booted; every boot needs arming$/m);
    assert.equal(rearm.env, "BERTH_KEY_POLICY='rearm'\n");
    const none = sh('berth_get_key', { api: `"POST /node/v1/key") echo '${KEY2}' ;;` });
    assert.match(none.out, /log: no node key sealed in this TPM yet/);
    assert.match(none.out, /report key-received/);
  });

  it('no TPM: the tpm policy falls back to ram and says so; nothing is locked', () => {
    const r = sh('berth_get_key; BERTH_KEY_POLICY=tpm; berth_keep_key /x; berth_lock_tpm; echo "tpm=[$BERTH_TPM]"', { tpm: false, api: `"POST /node/v1/key") echo '${KEY2}' ;;` });
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /report key-in-ram: key policy tpm, but this node has no TPM 2.0/);
    assert.doesNotMatch(r.out, /tpm-locked/);
    assert.match(r.out, /tpm=\[\]/);
    assert.equal(r.env, "BERTH_KEY_POLICY='ram'\n");
  });
});
