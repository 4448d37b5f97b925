/**
 * /api/v1/profiles: deployment profiles, an image version bound to a boot
 * method with kernel arguments and scripts. The checks and the files are
 * in profiles/; this module is the API's view of them.
 */
import { BerthError } from '../../errors.ts';
import { BOOT_METHODS, SCRIPT_FOLDERS } from '../../profiles/profile.ts';
import { addressInSubnet } from '../../util/ipv4.ts';
import type { ProfileChange, ProfileDefinition } from '../../profiles/profile-service.ts';
import type { JsonSchema, Route } from '../route.ts';
import type { Services } from '../services.ts';

const name: JsonSchema = { type: 'string', minLength: 1, maxLength: 128, description: 'Profile name: letters, digits, . _ + -' };
const image: JsonSchema = { type: 'string', minLength: 1, maxLength: 200, description: "Image version: 'compute@3', or 'compute@latest' / 'compute' for the newest at each boot" };
const bootMethod: JsonSchema = { type: 'string', enum: [...BOOT_METHODS], description: 'How the image reaches the node' };
const kernelArgs: JsonSchema = { type: 'string', maxLength: 4096, description: "Extra kernel arguments; attribute expressions such as 'ip={net.boot.ipv4_address}' are evaluated per node" };
const description: JsonSchema = { type: 'string', maxLength: 1024 };
const noderange: JsonSchema = { type: 'string', description: 'Nodes, compressed' };

const profileView: JsonSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    kind: { type: 'string', enum: ['image', 'kernel', 'install', 'invalid'] },
    description: { type: 'string' },
    kernelArgs: { type: 'string' },
    image: { type: 'string' },
    bootMethod: { type: 'string' },
    kernel: { type: 'string' },
    initrds: { type: 'array', items: { type: 'string' } },
    media: { type: 'string', description: 'Install profiles: the imported media' },
    packages: { type: 'array', items: { type: 'string' }, description: 'Install profiles: packages beyond the family minimum' },
    resolvesTo: {
      type: 'object',
      description: 'The image version the profile boots now',
      properties: { name: { type: 'string' }, version: { type: 'integer' }, ref: { type: 'string' }, created: { type: 'string' }, kernelVersion: { type: 'string' } },
    },
    problem: { type: 'string', description: 'Why a node could not boot the profile now' },
    nodes: {
      type: 'object',
      properties: {
        pending: { ...noderange, description: 'Nodes whose deployment.pending_profile names it' },
        deployed: { ...noderange, description: 'Nodes whose deployment.profile names it' },
        count: { type: 'integer' },
      },
    },
    scripts: {
      type: 'object',
      description: 'Scripts in each script folder, in the order the node runs them (show only)',
      properties: Object.fromEntries(SCRIPT_FOLDERS.map((folder) => [folder, { type: 'array', items: { type: 'string' } }])),
    },
  },
};

export function profileRoutes(services: Services): Route[] {
  const profiles = services.profileService;
  return [
    {
      method: 'GET',
      path: '/api/v1/profiles',
      operationId: 'listProfiles',
      tag: 'profiles',
      summary: 'All profiles, with the image version each resolves to now and how many nodes use it',
      response: { type: 'object', properties: { profiles: { type: 'array', items: profileView } } },
      handler: async () => ({ profiles: await profiles.list() }),
    },
    {
      method: 'GET',
      path: '/api/v1/profiles/{name}',
      operationId: 'getProfile',
      tag: 'profiles',
      summary: 'One profile: what it boots now, its scripts, and the nodes that name it',
      response: profileView,
      handler: ({ params }) => profiles.show(params['name']!),
    },
    {
      method: 'POST',
      path: '/api/v1/profiles',
      operationId: 'defineProfile',
      tag: 'profiles',
      summary: 'Define an image profile; the image must have a packed version now, and kernel arguments must be valid expressions',
      successStatus: 201,
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'image'],
        properties: { name, image, bootMethod: { ...bootMethod, default: 'tethered' }, kernelArgs, description },
      },
      response: profileView,
      handler: ({ body }) => profiles.define(body as ProfileDefinition),
    },
    {
      method: 'PATCH',
      path: '/api/v1/profiles/{name}',
      operationId: 'changeProfile',
      tag: 'profiles',
      summary: "Change a profile's image, boot method, kernel arguments or description, with the checks of define",
      body: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        properties: { image, bootMethod, kernelArgs, description },
      },
      response: profileView,
      handler: ({ params, body }) => profiles.change(params['name']!, body as ProfileChange),
    },
    {
      method: 'DELETE',
      path: '/api/v1/profiles/{name}',
      operationId: 'removeProfile',
      tag: 'profiles',
      summary: 'Remove a profile with its scripts; refused while nodes name it, unless force=true',
      query: { type: 'object', additionalProperties: false, properties: { force: { type: 'boolean', default: false } } },
      response: {
        type: 'object',
        properties: {
          removed: { type: 'string' },
          pending: { ...noderange, description: 'Nodes that still name it in deployment.pending_profile (force)' },
          deployed: { ...noderange, description: 'Nodes that still name it in deployment.profile (force)' },
        },
      },
      handler: ({ params, query }) => profiles.remove(params['name']!, query['force'] === true),
    },
    {
      method: 'GET',
      path: '/api/v1/profiles/{name}/render/{node}',
      operationId: 'renderProfile',
      tag: 'profiles',
      summary: "A scripted install's answer file exactly as the node would receive it now (with its deployment's URLs when one was started), plus the family checker's findings",
      query: { type: 'object', additionalProperties: false, properties: { firmware: { type: 'string', enum: ['bios', 'uefi'] } } },
      response: {
        type: 'object',
        properties: {
          node: { type: 'string' },
          profile: { type: 'string' },
          media: { type: 'string' },
          family: { type: 'string' },
          fileName: { type: 'string' },
          contentType: { type: 'string' },
          template: { type: 'string' },
          text: { type: 'string' },
          ipxe: { type: 'string', description: "The installer's iPXE script for the firmware asked for (bios by default)" },
          problems: { type: 'array', items: { type: 'object', properties: { line: { type: 'integer' }, message: { type: 'string' } } } },
          deployed: { type: 'boolean', description: 'false: no deployment of this profile was started for the node, so the URLs hold a placeholder token' },
        },
      },
      handler: async ({ params, query }) => {
        const installs = services.installs;
        const name = params['name']!;
        const node = params['node']!;
        if (!services.inventory.node(node)) throw new BerthError('BERTH_NOT_FOUND', `no node named '${node}'`);
        const token = await services.installTokens.token(node, name);
        const context = await installs.context(name, node, previewBase(services, node), token ?? 'TOKEN-OF-ITS-DEPLOYMENT');
        const rendered = await installs.render(context);
        return { ...rendered, ipxe: installs.bootScript(context, query['firmware'] === 'uefi' ? 'uefi' : 'bios'), deployed: token !== undefined };
      },
    },
  ];
}

/**
 * The boot HTTP base a node would reach: the server address of the boot
 * network that holds one of its addresses, else of the first one.
 */
function previewBase(services: Services, node: string): string {
  const status = services.bootStatus() as { httpPort?: number; networks?: { subnet: string; serverAddress?: string }[] };
  const addresses = Object.values(services.inventory.resolveNode(node, (a) => /^net\.[^.]+\.ipv4_address$/.test(a)))
    .map((r) => r.value?.split('/')[0])
    .filter((v): v is string => v !== undefined);
  const networks = status.networks ?? [];
  const network = networks.find((n) => n.serverAddress && addresses.some((a) => addressInSubnet(a, n.subnet))) ?? networks.find((n) => n.serverAddress);
  return `http://${network?.serverAddress ?? 'berth'}:${status.httpPort ?? 80}`;
}
