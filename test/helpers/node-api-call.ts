/**
 * One HTTPS request to a test daemon's node API (or admin API) as a node
 * would make it: trusting the daemon's own CA, from a chosen loopback source
 * address (`from`: the node's address as the requester check sees it), with
 * an optional Authorization header. JSON answers are parsed; text answers
 * (boot-env, authorized-keys, scripts) come back as a string; `text` is the
 * body as sent, either way.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import type { Daemon } from './daemon.ts';

export interface NodeApiCall {
  method?: string;
  body?: unknown;
  from?: string;
  auth?: string;
}

export interface NodeApiAnswer {
  status: number;
  json: any;
  text: string;
}

export function nodeApiCaller(daemon: Daemon): (path: string, o?: NodeApiCall) => Promise<NodeApiAnswer> {
  const ca = readFileSync(join(daemon.stateDir, 'public/ca.pem'));
  return (path, o = {}) =>
    new Promise((resolve, reject) => {
      const payload = o.body === undefined ? undefined : JSON.stringify(o.body);
      const req = request(
        {
          host: '127.0.0.1',
          port: daemon.httpsPort,
          path,
          method: o.method ?? (payload ? 'POST' : 'GET'),
          ca,
          localAddress: o.from ?? '127.0.0.1',
          servername: 'localhost',
          checkServerIdentity: () => undefined,
          headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...(o.auth ? { authorization: o.auth } : {}) },
        },
        (res) => {
          let text = '';
          res
            .setEncoding('utf8')
            .on('data', (c: string) => (text += c))
            .on('end', () => resolve({ status: res.statusCode!, json: text && res.headers['content-type']?.startsWith('application/json') ? JSON.parse(text) : text, text }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
}
