/**
 * /api/v1/images: the server's side of image management. What images and
 * versions there are (so `berth image list/show/versions/diff` work from any
 * machine), which nodes use which version, and removal that refuses to pull
 * a version from under them. Building, packing and unpacking move gigabytes
 * and run in the CLI on the server host (cli/commands/image/).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError } from '../../errors.ts';
import { diffVersions } from '../../images/diff/image-diff.ts';
import { parseImageRef, requireImageName } from '../../images/repository/image-ref.ts';
import { removeTree } from '../../images/tree/remove-tree.ts';
import { versionUsage } from '../../deploy/version-usage.ts';
import type { JsonSchema, Route } from '../route.ts';
import type { Services } from '../services.ts';

const users: JsonSchema = {
  type: 'object',
  properties: {
    deployed: { type: 'array', items: { type: 'string' } },
    pending: { type: 'array', items: { type: 'string' } },
    profiles: { type: 'array', items: { type: 'string' } },
    noderange: { type: 'string' },
  },
};

const versionParam = (text: string): number | 'latest' => {
  if (text === 'latest') return 'latest';
  if (!/^[1-9][0-9]{0,8}$/.test(text)) throw new BerthError('BERTH_BAD_INPUT', `'${text}' is not a version number (or latest)`);
  return Number(text);
};

export function imageRoutes(services: Services): Route[] {
  const { images, profiles } = services;
  return [
    {
      method: 'GET',
      path: '/api/v1/images',
      operationId: 'listImages',
      tag: 'images',
      summary: 'Every image: its editable tree, how many versions, damaged ones, the newest',
      response: { type: 'array', items: { type: 'object' } },
      handler: async () => {
        const rows = [];
        for (const name of await images.names()) {
          const tree = await images.tree(name).catch(() => undefined);
          const versions = await images.versions(name);
          const latest = versions.filter((v) => 'metadata' in v).at(-1);
          rows.push({
            name,
            tree: tree ? { origin: tree.origin, distro: tree.distro ?? null, modified: tree.modified } : null,
            versions: versions.length,
            damaged: versions.filter((v) => 'damaged' in v).map((v) => v.version),
            latest: latest && 'metadata' in latest ? { version: latest.version, created: latest.metadata.created, bytes: latest.metadata.artifact.bytes } : null,
          });
        }
        return rows;
      },
    },
    {
      method: 'GET',
      path: '/api/v1/images/{name}',
      operationId: 'showImage',
      tag: 'images',
      summary: "An image's editable tree and version numbers",
      response: { type: 'object', properties: { name: { type: 'string' }, tree: { type: ['object', 'null'] }, versions: { type: 'array', items: { type: 'integer' } } } },
      handler: async ({ params }) => {
        const name = requireImageName(params['name']!);
        const tree = (await images.tree(name)) ?? null;
        const versions = await images.versionNumbers(name);
        if (!tree && versions.length === 0) throw new BerthError('BERTH_NOT_FOUND', `image '${name}' does not exist`);
        return { name, tree, versions };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/images/{name}/versions',
      operationId: 'listImageVersions',
      tag: 'images',
      summary: "An image's versions (metadata, or why one is damaged) and the nodes using each",
      response: { type: 'array', items: { type: 'object', properties: { version: { type: 'integer' }, metadata: { type: 'object' }, damaged: { type: 'string' }, usedBy: { oneOf: [users, { type: 'null' }] } } } },
      handler: async ({ params }) => {
        const name = requireImageName(params['name']!);
        const versions = await images.versions(name);
        if (versions.length === 0 && !(await images.tree(name))) throw new BerthError('BERTH_NOT_FOUND', `image '${name}' does not exist`);
        const usage = await versionUsage(services.inventory, profiles, images, name);
        return versions.map((v) => ({ ...v, usedBy: usage[v.version] ?? null }));
      },
    },
    {
      method: 'GET',
      path: '/api/v1/images/{name}/versions/{version}',
      operationId: 'showImageVersion',
      tag: 'images',
      summary: 'What a version is (source, parent, kernel, digests, encryption, verity), where its artifact is, and with packages=true its package list',
      query: { type: 'object', additionalProperties: false, properties: { packages: { type: 'boolean', default: false } } },
      response: { type: 'object', properties: { artifactPath: { type: 'string', description: "The root image's path on the server" }, packages: { type: 'array', items: { type: 'object' } } } },
      handler: async ({ params, query }) => {
        const m = await images.resolve({ name: requireImageName(params['name']!), version: versionParam(params['version']!) });
        const dir = images.layout(m.name).versionDir(m.version);
        const packages = query['packages'] ? JSON.parse(await readFile(join(dir, m.manifest.file), 'utf8')).packages : undefined;
        return { ...m, artifactPath: join(dir, m.artifact.file), ...(packages ? { packages } : {}) };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/images/{name}/versions/{version}/diff',
      operationId: 'diffImageVersions',
      tag: 'images',
      summary: 'Packages (added, removed, upgraded, downgraded) and files changed from this version to another',
      query: {
        type: 'object',
        additionalProperties: false,
        required: ['to'],
        properties: { to: { type: 'string', minLength: 1, maxLength: 200, description: "The other version, such as 'compute@4'" }, limit: { type: 'integer', minimum: 0, default: 30, description: 'Changed files listed at most' } },
      },
      response: { type: 'object' },
      handler: async ({ params, query }) => {
        const from = await images.resolve({ name: requireImageName(params['name']!), version: versionParam(params['version']!) });
        return diffVersions(images, from, await images.resolve(parseImageRef(query['to'] as string)), query['limit'] as number);
      },
    },
    {
      method: 'GET',
      path: '/api/v1/images/{name}/usage',
      operationId: 'imageUsage',
      tag: 'images',
      summary: 'Which nodes use which version of an image, through their pending or current profile',
      response: { type: 'object', additionalProperties: users, description: 'Keyed by version number; versions nobody uses are absent' },
      handler: async ({ params }) => versionUsage(services.inventory, profiles, images, requireImageName(params['name']!)),
    },
    {
      method: 'DELETE',
      path: '/api/v1/images/{name}/versions/{version}',
      operationId: 'removeImageVersion',
      tag: 'images',
      summary: 'Remove a packed version; refused while nodes use it unless force=true',
      query: { type: 'object', additionalProperties: false, properties: { force: { type: 'boolean', default: false } } },
      response: { type: 'object', properties: { removed: { type: 'string' }, forced: users } },
      handler: async ({ params, query }) => {
        const name = requireImageName(params['name']!);
        const version = Number(params['version']);
        if (!/^[1-9][0-9]{0,8}$/.test(params['version']!)) throw new BerthError('BERTH_BAD_INPUT', `'${params['version']}' is not a version number`);
        const lock = await images.lock(name);
        try {
          if (!(await images.versionNumbers(name)).includes(version)) throw new BerthError('BERTH_NOT_FOUND', `image version ${name}@${version} does not exist`);
          const using = (await versionUsage(services.inventory, profiles, images, name))[version];
          if (using && !query['force']) {
            throw new BerthError(
              'BERTH_CONFLICT',
              `${name}@${version} is in use by nodes ${using.noderange} (profile${using.profiles.length > 1 ? 's' : ''} ${using.profiles.join(', ')}); ` +
                `deploy another version to them first, or remove it anyway with --force`,
            );
          }
          // A node may still run a version its profile no longer names: its root comes from here until it reboots.
          const reading = services.nbdReaders(`${name}@${version}`);
          if (reading.length > 0 && !query['force']) {
            throw new BerthError(
              'BERTH_CONFLICT',
              `${name}@${version} is the root of tethered nodes reading it over NBD now: ${reading.join(', ')}; reboot them into another version first, ` +
                `or remove it anyway with --force (they keep reading the open file until they reconnect, then lose their root)`,
            );
          }
          await images.removeVersion(name, version);
          return { removed: `${name}@${version}`, ...(using ? { forced: using } : {}) };
        } finally {
          await lock.release();
        }
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/images/{name}/tree',
      operationId: 'removeImageTree',
      tag: 'images',
      summary: "Remove an image's editable tree (its packed versions stay)",
      response: { type: 'object', properties: { removed: { type: 'string' } } },
      handler: async ({ params }) => {
        const name = requireImageName(params['name']!);
        const layout = images.layout(name);
        if (!(await images.tree(name))) throw new BerthError('BERTH_NOT_FOUND', `image '${name}' has no tree`);
        await removeTree(layout.treeDir);
        return { removed: layout.treeDir };
      },
    },
  ];
}
