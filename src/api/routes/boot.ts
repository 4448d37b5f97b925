/** Boot services over the API: timelines, the live event stream, discovery, counters. */
import { BerthError } from '../../errors.ts';
import type { BootEvent } from '../../events/boot-event.ts';
import { timelineSubject } from '../../events/event-log.ts';
import { STREAMED } from '../route.ts';
import type { Route } from '../route.ts';
import { noderange } from '../schemas.ts';
import type { Services } from '../services.ts';

const eventSchema = {
  type: 'object',
  properties: {
    time: { type: 'string' },
    source: { type: 'string' },
    step: { type: 'string' },
    node: { type: 'string' },
    mac: { type: 'string' },
    ip: { type: 'string' },
    detail: { type: 'object' },
  },
};

export function bootRoutes(services: Services): Route[] {
  const { inventory, events, discovery } = services;
  return [
    {
      method: 'GET',
      path: '/api/v1/nodes/{name}/timeline',
      operationId: 'nodeTimeline',
      tag: 'boot',
      summary: "A node's boot steps with timestamps: DHCP, TFTP, HTTP script, kernel, initrd, and what the node reports",
      query: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 500 } } },
      response: { type: 'object', properties: { node: { type: 'string' }, events: { type: 'array', items: eventSchema } } },
      handler: async ({ params, query }) => {
        const name = params['name']!;
        // A machine not (yet) in the inventory has its timeline under its MAC.
        const isMac = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(name);
        if (!isMac) inventory.requireNode(name);
        const subject = isMac ? timelineSubject({ mac: name.toLowerCase() })! : name;
        return { node: name, events: await events.timeline(subject, query['limit'] as number) };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/events',
      operationId: 'events',
      tag: 'boot',
      summary: 'Live boot events as server-sent events (text/event-stream), optionally only for a noderange',
      query: { type: 'object', additionalProperties: false, properties: { range: noderange } },
      handler: ({ query, request, response }) => {
        const only = query['range'] === undefined ? undefined : new Set(inventory.expand(query['range'] as string));
        response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
        response.write(': berth boot events\n\n');
        const unsubscribe = events.subscribe((event: BootEvent) => {
          if (only && (event.node === undefined || !only.has(event.node))) return;
          response.write(`event: boot\ndata: ${JSON.stringify(event)}\n\n`);
        });
        // Comments keep proxies and idle timers from closing a quiet stream.
        const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), 15_000);
        request.on('close', () => {
          clearInterval(keepAlive);
          unsubscribe();
        });
        return STREAMED;
      },
    },
    {
      method: 'GET',
      path: '/api/v1/discovered',
      operationId: 'listDiscovered',
      tag: 'boot',
      summary: 'Machines that network-booted without being in the inventory',
      handler: () => ({ machines: discovery.list(), policy: discovery.policy }),
    },
    {
      method: 'POST',
      path: '/api/v1/discovered/assign',
      operationId: 'assignDiscovered',
      tag: 'boot',
      summary: 'Make a discovered machine (by MAC or SMBIOS UUID) a node: sets net.<interface>.hwaddr',
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['machine', 'node'],
        properties: { machine: { type: 'string', minLength: 1 }, node: { type: 'string', minLength: 1 }, interface: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,14}$' } },
      },
      handler: async ({ body }) => {
        const request = body as { machine: string; node: string; interface?: string };
        const result = await discovery.assign(request.machine, request.node, request.interface);
        await events.rename(timelineSubject({ mac: result.mac })!, result.node);
        return result;
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/discovered/{mac}',
      operationId: 'forgetDiscovered',
      tag: 'boot',
      summary: 'Forget a discovered machine',
      handler: async ({ params }) => {
        await discovery.forget(params['mac']!.toLowerCase());
        return { forgotten: params['mac'] };
      },
    },
    {
      method: 'PUT',
      path: '/api/v1/discovery/policy',
      operationId: 'setDiscoveryPolicy',
      tag: 'boot',
      summary: 'How discovered machines become nodes: manual (default), uuid (match id.uuid), or sequential (fill a noderange in boot order)',
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['mode'],
        properties: {
          mode: { type: 'string', enum: ['manual', 'uuid', 'sequential'] },
          noderange,
          interface: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,14}$' },
        },
      },
      handler: async ({ body }) => {
        const request = body as { mode: 'manual' | 'uuid' | 'sequential'; noderange?: string; interface?: string };
        if (request.mode !== 'sequential' && request.noderange !== undefined) {
          throw new BerthError('BERTH_BAD_INPUT', `a noderange only applies to the sequential policy, not ${request.mode}`);
        }
        await discovery.setPolicy({ mode: request.mode, interfaceName: request.interface ?? discovery.policy.interfaceName, ...(request.noderange ? { noderange: request.noderange } : {}) });
        return { policy: discovery.policy };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/boot/leases',
      operationId: 'listLeases',
      tag: 'boot',
      summary: 'DHCP leases: one per MAC, kept across PXE ROM, iPXE and the OS',
      handler: () => ({ leases: services.leases() }),
    },
    {
      method: 'GET',
      path: '/api/v1/boot/status',
      operationId: 'bootStatus',
      tag: 'boot',
      summary: 'Boot services: ports, networks, and counters of refused or malformed packets',
      handler: () => ({ ...services.bootStatus(), dropped: events.dropped() }),
    },
  ];
}
