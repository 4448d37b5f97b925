/** /api/v1/ssh: what admins need to trust the host certificates berth's SSH CA issues to nodes. */
import { knownHostsLine } from '../../ssh/known-hosts.ts';
import type { Route } from '../route.ts';
import type { Services } from '../services.ts';

export function sshRoutes({ sshCa }: Services): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/ssh/known-hosts',
      operationId: 'sshKnownHosts',
      tag: 'ssh',
      summary: "The @cert-authority known_hosts line that trusts every node's host certificate",
      query: {
        type: 'object',
        additionalProperties: false,
        properties: {
          pattern: { type: 'string', maxLength: 4096, default: '*', description: 'Host patterns the CA is trusted for, comma separated (known_hosts syntax), e.g. *.cluster.example.org,10.1.*' },
        },
      },
      response: {
        type: 'object',
        properties: {
          line: { type: 'string', description: 'Append to ~/.ssh/known_hosts or /etc/ssh/ssh_known_hosts' },
          publicKey: { type: 'string', description: "The SSH CA's public key" },
        },
      },
      handler: ({ query }) => ({
        line: knownHostsLine(sshCa, (query['pattern'] as string).split(',')),
        publicKey: sshCa.publicKey,
      }),
    },
  ];
}
