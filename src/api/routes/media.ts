/**
 * /api/v1/media: imported install media, read-only, so `berth media list`
 * and `berth media show` work from any machine. Importing copies gigabytes
 * and removing deletes them: both run in the CLI on the server host
 * (cli/commands/media/).
 */
import { profilesUsing } from '../../profiles/media-users.ts';
import type { Route } from '../route.ts';
import type { Services } from '../services.ts';

export function mediaRoutes(services: Services): Route[] {
  const { media, profiles } = services;
  return [
    {
      method: 'GET',
      path: '/api/v1/media',
      operationId: 'listMedia',
      tag: 'media',
      summary: 'Imported media (record, or why it is damaged) with the profiles installing from each',
      response: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, record: { type: 'object' }, damaged: { type: 'string' }, profiles: { type: 'array', items: { type: 'string' } } } } },
      handler: async () => {
        const rows = [];
        for (const entry of await media.list()) rows.push({ ...entry, profiles: await profilesUsing(profiles, entry.name) });
        return rows;
      },
    },
    {
      method: 'GET',
      path: '/api/v1/media/{name}',
      operationId: 'showMedia',
      tag: 'media',
      summary: 'What imported media is, how it was identified, its folder on the server and the profiles installing from it',
      response: { type: 'object', properties: { folder: { type: 'string' }, profiles: { type: 'array', items: { type: 'string' } } } },
      handler: async ({ params }) => {
        const name = params['name']!;
        const record = await media.read(name);
        return { ...record, folder: media.folder(name), profiles: await profilesUsing(profiles, name) };
      },
    },
  ];
}
