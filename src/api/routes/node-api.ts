/**
 * /node/v1: the API nodes call while they boot, over HTTPS with their node
 * key (`Authorization: BerthNode <node>:<key>`), except the key request
 * itself, which is authorized by arming and the requester's address
 * (deploy/node-keys.ts).
 *
 * Every route names the node in its path and answers only that node's own
 * key: node A with a valid key asking for node B's anything is refused
 * (403), which test/deploy/node-api-authorization.test.ts checks for every
 * route here. Secrets go only where they are needed: an image version's key
 * and verity root hash only to a node whose pending or current profile boots
 * that very version.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { entitledVersions } from '../../deploy/boot-choice.ts';
import { deploymentOf } from '../../deploy/deployment.ts';
import { BerthError } from '../../errors.ts';
import type { Principal } from '../auth.ts';
import { formatImageRef, parseImageRef } from '../../images/repository/image-ref.ts';
import { SCRIPT_FOLDERS } from '../../profiles/profile.ts';
import type { ScriptFolder } from '../../profiles/profile.ts';
import type { ProfileRepository } from '../../profiles/profile-repository.ts';
import { authorizedKeys } from '../../ssh/admin-keys.ts';
import { signHostKeys } from '../../ssh/host-certificate.ts';
import { hostPrincipals } from '../../ssh/principals.ts';
import { reportedStateChange } from '../../deploy/reported-state.ts';
import { STREAMED } from '../route.ts';
import type { Route } from '../route.ts';
import type { Services } from '../services.ts';

const STATES = ['booting', 'booted', 'installing', 'post', 'installed', 'failed'] as const;

/** Plain text for the node's shell code, which reads it without a JSON parser. */
function sendText(response: ServerResponse, text: string): typeof STREAMED {
  response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  response.end(text);
  return STREAMED;
}

/**
 * Whether the caller asked for plain text (`Accept: text/plain`): the node's
 * shell (node-side/core/berth-api.sh) always does, and reads a single value
 * (the key, a certificate per line) as it comes, never picking JSON apart.
 */
function wantsText(request: IncomingMessage): boolean {
  return /(^|,)\s*text\/plain\b/.test(request.headers.accept ?? '');
}

/** Names the node's shell may use as file names unquoted; anything else is refused, not renamed. */
const SCRIPT_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}$/;
/** The node holds them in a shell variable and in its initramfs' RAM. */
const SCRIPTS_MAX_BYTES = 4 << 20;

/** A script folder as `<name> <base64>` lines: the node's shell reads it with `read`, without a JSON parser. */
async function scriptLines(profiles: ProfileRepository, profile: string, folder: ScriptFolder): Promise<string> {
  const names = (await profiles.scripts(profile))[folder];
  let total = 0;
  const lines: string[] = [];
  for (const name of names) {
    const file = join(profiles.folder(profile), folder, name);
    if (!SCRIPT_NAME.test(name)) throw new BerthError('BERTH_CONFIG', `script ${file}: its name has characters a node cannot use as a file name; rename it (letters, digits, _ . + -)`, { file });
    const content = await readFile(file);
    total += content.length;
    if (total > SCRIPTS_MAX_BYTES) throw new BerthError('BERTH_CONFIG', `the scripts in ${join(profiles.folder(profile), folder)} are over ${SCRIPTS_MAX_BYTES >> 20} MiB together; a node fetches them into RAM`, { file });
    lines.push(`${name} ${content.toString('base64')}\n`);
  }
  return lines.join('');
}

/** The node this request may act for: the path's node, if the key is that node's. */
function self(principal: Principal, name: string): string {
  if (principal.kind !== 'node') throw new BerthError('BERTH_UNAUTHORIZED', 'the node API needs a node key');
  if (principal.node !== name) throw new BerthError('BERTH_FORBIDDEN', `the key of ${principal.node} does not open ${name}'s data`, { node: principal.node });
  return name;
}

export function nodeApiRoutes(services: Services): Route[] {
  const { inventory, images, profiles } = services;
  const value = (node: string, attribute: string): string | undefined => {
    const record = inventory.requireNode(node);
    try {
      return inventory.resolver().value(record, attribute);
    } catch {
      return undefined;
    }
  };
  const entitled = (node: string) => entitledVersions(services, node);
  return [
    {
      method: 'POST',
      path: '/node/v1/key',
      operationId: 'nodeKeyRequest',
      tag: 'node',
      auth: 'none',
      summary: 'A node asks for its API key: granted only while it is armed, from its own address on a provisioning network (with Accept: text/plain, the key alone)',
      body: { type: 'object', additionalProperties: false, required: ['node'], properties: { node: { type: 'string', minLength: 1, maxLength: 128 } } },
      // Anyone may ask: the body is one node name.
      maxBodyBytes: 1024,
      response: { type: 'object', properties: { node: { type: 'string' }, key: { type: 'string' }, arming: { type: 'string' } } },
      handler: async ({ body, request, response }) => {
        const node = (body as { node: string }).node;
        const ip = request.socket.remoteAddress ?? '';
        try {
          const granted = await services.nodeKeys.grant(node, ip);
          services.events.emit({ source: 'api', step: 'key-granted', node, ip, detail: { arming: granted.arming } });
          if (wantsText(request)) return sendText(response, `${granted.key}\n`);
          return { node, ...granted };
        } catch (e) {
          if (!(e instanceof BerthError)) throw e;
          // The reason (its addresses, whether it is armed or locked) is for the administrator, in the timeline; the requester may be anyone.
          if (inventory.node(node)) services.events.emit({ source: 'api', step: 'key-refused', node, ip, detail: { reason: e.message } });
          throw new BerthError('BERTH_FORBIDDEN', 'no node key granted; the reason is in the node\'s timeline on the berth server (berth node timeline <node>)');
        }
      },
    },
    {
      method: 'GET',
      path: '/node/v1/nodes/{name}/deployment',
      operationId: 'nodeDeployment',
      tag: 'node',
      auth: 'node',
      summary: 'What the node is to boot: profile, image version, boot method, host name',
      handler: async ({ params, principal }) => {
        const node = self(principal, params['name']!);
        const versions = await entitled(node);
        const chosen = versions[0];
        if (!chosen) throw new BerthError('BERTH_NOT_FOUND', `${node} has no image profile pending or deployed`);
        return { node, hostname: node, profile: chosen.profile, image: `${chosen.image}@${chosen.version}`, method: chosen.method, role: chosen.role };
      },
    },
    {
      method: 'GET',
      path: '/node/v1/nodes/{name}/image-secret',
      operationId: 'nodeImageSecret',
      tag: 'node',
      auth: 'node',
      summary: "An image version's key and dm-verity parameters, only for a version the node's pending or current profile boots",
      query: { type: 'object', additionalProperties: false, required: ['image'], properties: { image: { type: 'string', minLength: 3, maxLength: 80 } } },
      handler: async ({ params, query, principal }) => {
        const node = self(principal, params['name']!);
        const ref = parseImageRef(query['image'] as string);
        if (ref.version === 'latest') throw new BerthError('BERTH_BAD_INPUT', 'ask for a fixed version (name@n), as the boot script gave it');
        const allowed = (await entitled(node)).some((v) => v.image === ref.name && v.version === ref.version);
        if (!allowed) throw new BerthError('BERTH_FORBIDDEN', `${node} is not deploying ${formatImageRef(ref)}: no key for it`, { node });
        const metadata = await images.readVersion(ref.name, ref.version);
        const key = await images.readKey(ref.name, ref.version);
        services.events.emit({ source: 'api', step: 'image-key', node, detail: { image: formatImageRef(ref) } });
        return { image: formatImageRef(ref), key: key.toString('hex'), crypt: metadata.crypt, verity: metadata.verity, artifact: metadata.artifact };
      },
    },
    {
      method: 'GET',
      path: '/node/v1/nodes/{name}/boot-env',
      operationId: 'nodeBootEnv',
      tag: 'node',
      auth: 'node',
      summary: "Everything the initramfs needs to attach an image, as shell assignments (text/plain): the image-secret and the node's host name and root password hash",
      query: { type: 'object', additionalProperties: false, required: ['image'], properties: { image: { type: 'string', minLength: 3, maxLength: 80 } } },
      handler: async ({ params, query, principal, request, response }) => {
        const node = self(principal, params['name']!);
        const ref = parseImageRef(query['image'] as string);
        if (ref.version === 'latest') throw new BerthError('BERTH_BAD_INPUT', 'ask for a fixed version (name@n), as the boot script gave it');
        const chosen = (await entitled(node)).find((v) => v.image === ref.name && v.version === ref.version);
        if (!chosen) throw new BerthError('BERTH_FORBIDDEN', `${node} is not deploying ${formatImageRef(ref)}: no key for it`, { node });
        const m = await images.readVersion(ref.name, ref.version);
        const key = await images.readKey(ref.name, ref.version);
        services.events.emit({ source: 'api', step: 'image-key', node, detail: { image: formatImageRef(ref) } });
        // Every value is from a closed alphabet (hex, digits, names, crypt hashes), checked here, so the node can eval the lines it has also checked.
        const deployment = deploymentOf(inventory, node);
        const vars: Record<string, string> = {
          BERTH_IMAGE: formatImageRef(ref),
          BERTH_METHOD: chosen.method,
          BERTH_PROFILE: chosen.profile,
          BERTH_HOSTNAME: node,
          BERTH_IMAGE_KEY_BASE64: key.toString('base64'),
          BERTH_CRYPT_SECTOR_SIZE: String(m.crypt.sectorSize),
          BERTH_CRYPT_IV_LARGE_SECTORS: m.crypt.ivLargeSectors ? '1' : '0',
          BERTH_CRYPT_BYTES: String(m.crypt.bytes),
          BERTH_VERITY_ROOT_HASH: m.verity.rootHash,
          BERTH_VERITY_SALT: m.verity.salt,
          BERTH_VERITY_HASH_OFFSET: String(m.verity.hashOffset),
          BERTH_VERITY_DATA_BLOCKS: String(m.verity.dataBlocks),
          BERTH_ARTIFACT_BYTES: String(m.artifact.bytes),
          BERTH_ROOT_PASSWORD_HASH: value(node, 'crypted.rootpassword') ?? '',
          // Install-to-disk's disk; base64, so any /dev name arrives whatever the alphabet here (the node checks the decoded path).
          BERTH_INSTALL_DISK_BASE64: Buffer.from(deployment.installDisk ?? '').toString('base64'),
          // Where the node keeps its key (berth-key.sh): tpm unless set; a node without a TPM keeps it in RAM.
          BERTH_KEY_POLICY: deployment.keyPolicy,
          // Tethered: one NBD path per berth server serving the version, this one first.
          BERTH_NBD_SERVERS: services.nbdEndpoints(request.socket.localAddress ?? '').join(','),
        };
        const lines = Object.entries(vars).map(([k, v]) => {
          if (!/^[A-Za-z0-9@._$/+=:,[\]-]*$/.test(v)) throw new BerthError('BERTH_INTERNAL', `${k} of ${node} has characters the node-side shell must not see`);
          return `${k}='${v}'\n`;
        });
        return sendText(response, lines.join(''));
      },
    },
    {
      method: 'POST',
      path: '/node/v1/nodes/{name}/ssh-host-certificates',
      operationId: 'nodeSshHostCertificates',
      tag: 'node',
      auth: 'node',
      summary: "Signs the node's fresh SSH host keys with berth's SSH CA, for its own names and addresses (with Accept: text/plain, one certificate per line, in the keys' order)",
      body: { type: 'object', additionalProperties: false, required: ['publicKeys'], properties: { publicKeys: { type: 'array', minItems: 1, maxItems: 8, items: { type: 'string', maxLength: 16384 } } } },
      // Eight keys of at most 16 KiB each, with JSON around them.
      maxBodyBytes: 160 * 1024,
      handler: async ({ params, body, principal, request, response }) => {
        const node = self(principal, params['name']!);
        const resolved = inventory.resolveNode(node, (a) => /^net\.[^.]+\.(hostname|ipv4_address)$/.test(a) || a === 'ssh.principals');
        const pick = (suffix: string) => Object.entries(resolved).filter(([k, v]) => k.endsWith(suffix) && v.value).map(([, v]) => v.value!);
        const principals = hostPrincipals(node, {
          hostnames: pick('.hostname'),
          addresses: pick('.ipv4_address'),
          extra: (resolved['ssh.principals']?.value ?? '').split(',').map((p) => p.trim()).filter(Boolean),
        });
        const signed = await signHostKeys(services.sshCa, { node, principals, publicKeys: (body as { publicKeys: string[] }).publicKeys });
        services.events.emit({ source: 'api', step: 'ssh-certificates', node, detail: { serial: signed.serial, principals: principals.join(','), validBefore: signed.validBefore } });
        if (wantsText(request)) return sendText(response, signed.certificates.map((c) => `${c}\n`).join(''));
        return { ...signed, principals };
      },
    },
    {
      method: 'GET',
      path: '/node/v1/nodes/{name}/authorized-keys',
      operationId: 'nodeAuthorizedKeys',
      tag: 'node',
      auth: 'node',
      summary: "root's authorized_keys for the node (ssh.admin_keys), as text",
      handler: ({ params, principal, response }) => {
        const node = self(principal, params['name']!);
        return sendText(response, authorizedKeys({ attribute: value(node, 'ssh.admin_keys') ?? '' }));
      },
    },
    {
      method: 'GET',
      path: '/node/v1/nodes/{name}/root-password',
      operationId: 'nodeRootPassword',
      tag: 'node',
      auth: 'node',
      summary: "The node's root password hash (crypted.rootpassword)",
      handler: ({ params, principal }) => {
        const node = self(principal, params['name']!);
        const hash = value(node, 'crypted.rootpassword');
        if (!hash) throw new BerthError('BERTH_NOT_FOUND', `${node} has no crypted.rootpassword`);
        return { hash };
      },
    },
    {
      method: 'GET',
      path: '/node/v1/nodes/{name}/scripts/{folder}',
      operationId: 'nodeScripts',
      tag: 'node',
      auth: 'node',
      summary: "The scripts of one folder (post.d, firstboot.d, onboot.d) of the node's pending profile, as text: one `<name> <base64 content>` line each, in the order they run",
      handler: async ({ params, principal, response }) => {
        const node = self(principal, params['name']!);
        const folder = params['folder']!;
        if (!(SCRIPT_FOLDERS as readonly string[]).includes(folder)) throw new BerthError('BERTH_NOT_FOUND', `no script folder '${folder}'; there are ${SCRIPT_FOLDERS.join(', ')}`);
        // Only the profile being deployed: scripts are written for the deployment they configure.
        const pending = deploymentOf(inventory, node).pending;
        if (!pending) throw new BerthError('BERTH_FORBIDDEN', `${node} has no deployment pending: no scripts for it`, { node });
        const text = await scriptLines(profiles, pending, folder as ScriptFolder);
        services.events.emit({ source: 'api', step: 'scripts', node, detail: { profile: pending, folder, count: text.split('\n').filter(Boolean).length } });
        return sendText(response, text);
      },
    },
    {
      method: 'POST',
      path: '/node/v1/nodes/{name}/events',
      operationId: 'nodeReport',
      tag: 'node',
      auth: 'node',
      summary: "The node reports a boot step into its timeline, and optionally its deployment state",
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['step'],
        properties: {
          step: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,39}$' },
          state: { type: 'string', enum: [...STATES] },
          detail: { type: 'object', maxProperties: 20, additionalProperties: { type: ['string', 'number', 'boolean'], maxLength: 1000 } },
        },
      },
      // Twenty details of at most 1000 characters.
      maxBodyBytes: 32 * 1024,
      handler: async ({ params, body, principal, request }) => {
        const node = self(principal, params['name']!);
        const report = body as { step: string; state?: (typeof STATES)[number]; detail?: Record<string, string | number | boolean> };
        services.events.emit({ source: 'node', step: report.step, node, ip: request.socket.remoteAddress ?? '', ...(report.detail ? { detail: report.detail } : {}) });
        if (report.state) {
          const { set, unset } = reportedStateChange(report.state, deploymentOf(inventory, node));
          await inventory.changeNodes([node], { set, ...(unset.length > 0 ? { unset } : {}) });
          // An installed system's install token opens nothing more (install-tokens.ts).
          if (report.state === 'installed') await services.installTokens.retire(node);
        }
        return { ok: true };
      },
    },
  ];
}
