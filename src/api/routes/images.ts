/**
 * /api/v1/images: the server's side of image management, the questions
 * that need the inventory. Which nodes use which version, and removal that
 * refuses to pull a version from under them. Building, packing and
 * unpacking run in the CLI on the server host (cli/commands/image/).
 */
import { BerthError } from '../../errors.ts';
import { requireImageName } from '../../images/repository/image-ref.ts';
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

export function imageRoutes(services: Services): Route[] {
  const { images, profiles } = services;
  return [
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
