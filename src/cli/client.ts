/**
 * The CLI's one HTTP client: the admin API over the local unix socket by
 * default, or over HTTPS with a bearer token when a server URL is given
 * (`--server`, `BERTH_SERVER`).
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, RequestOptions } from 'node:http';
import { BerthError } from '../errors.ts';
import type { SerializedError } from '../errors.ts';

// Not `import ... from 'node:http'`: building the ESM namespace of http touches
// its lazy WebSocket getters, which load undici and add ~35 ms to every command.
const httpRequest = process.getBuiltinModule('node:http').request;

export interface ClientOptions {
  socketPath: string;
  /** From parseServerUrl. */
  server?: URL;
  token?: string;
  /** PEM file of the CA that signed the server's certificate. */
  caFile?: string;
}

/**
 * A server URL as people type it: `https://head:8443`, or `head:8443` and
 * `head` with https:// assumed (the admin API speaks nothing else). `from`
 * names where the text came from (--server, BERTH_SERVER) for the error.
 */
export function parseServerUrl(text: string, from: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new BerthError('BERTH_BAD_INPUT', `${from} '${text}' is not a server address: give https://HOST:PORT or HOST:PORT, such as https://head:8443`);
  }
  if (url.protocol !== 'https:') throw new BerthError('BERTH_BAD_INPUT', `${from} '${text}': the admin API is served over HTTPS only; give https://HOST:PORT or HOST:PORT`);
  if (url.hostname === '' || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new BerthError('BERTH_BAD_INPUT', `${from} '${text}' is not a server address: give https://HOST:PORT or HOST:PORT, such as https://head:8443`);
  }
  return url;
}

/** Node's TLS verification failures: the server's certificate chain is not trusted, or does not name the host. */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

/** What to do about a TLS failure, in berth's terms: which CA, where it is, which flag takes it. */
function tlsAdvice(e: NodeJS.ErrnoException, target: string, caFile: string | undefined): string | undefined {
  const where = "berth's CA certificate is <state-dir>/public/ca.pem on the server (/var/lib/berth/public/ca.pem by default); copy it here";
  if (e.code !== undefined && UNTRUSTED.has(e.code)) {
    if (caFile === undefined) return `cannot verify the certificate of ${target} (${e.message}): berth signs it with its own CA. ${where} and pass it with --ca FILE (or BERTH_CA=FILE)`;
    return `the certificate of ${target} is not signed by the CA in ${caFile} (--ca / BERTH_CA): is that the ca.pem of this server? ${where}`;
  }
  if (e.code === 'CERT_HAS_EXPIRED' || e.code === 'CERT_NOT_YET_VALID') return `the certificate of ${target} is not valid now (${e.message}): check the clocks of this machine and the server`;
  if (e.code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `the certificate of ${target} does not name that host (${e.message}): use a name or address it holds, or add it to tls.hostnames / tls.addresses in the server's config`;
  }
  return undefined;
}

export class ApiClient {
  readonly #options: ClientOptions;

  constructor(options: ClientOptions) {
    this.#options = options;
  }

  get(path: string, query: Record<string, string | boolean | undefined> = {}): Promise<any> {
    return this.request('GET', path, undefined, query);
  }

  async request(method: string, path: string, body?: unknown, query: Record<string, string | boolean | undefined> = {}): Promise<any> {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) search.set(key, String(value));
    const fullPath = search.size > 0 ? `${path}?${search}` : path;
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = { accept: 'application/json' };
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    const response = await this.#send(method, fullPath, headers, payload);
    const text = await readAll(response);
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new BerthError('BERTH_INTERNAL', `server answered ${response.statusCode} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
    if ((response.statusCode ?? 500) >= 400) {
      const error = (json as { error?: SerializedError } | undefined)?.error;
      if (error?.code) throw BerthError.fromJSON(error);
      throw new BerthError('BERTH_INTERNAL', `server answered ${response.statusCode}`);
    }
    return json;
  }

  /** Server-sent events: yields each `data:` payload, parsed, until the server closes or the process ends. */
  async *events(path: string, query: Record<string, string | undefined> = {}): AsyncGenerator<unknown> {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) search.set(key, value);
    const response = await this.#send('GET', search.size > 0 ? `${path}?${search}` : path, { accept: 'text/event-stream' });
    if ((response.statusCode ?? 500) >= 400) {
      const text = await readAll(response);
      const error = (JSON.parse(text) as { error?: SerializedError }).error;
      throw error ? BerthError.fromJSON(error) : new BerthError('BERTH_INTERNAL', `server answered ${response.statusCode}`);
    }
    response.setEncoding('utf8');
    let buffer = '';
    for await (const chunk of response) {
      buffer += chunk as string;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
        if (data) yield JSON.parse(data);
      }
    }
  }

  async #send(method: string, path: string, headers: Record<string, string | number>, payload?: Buffer): Promise<IncomingMessage> {
    const { server } = this.#options;
    let options: RequestOptions;
    let send: typeof httpRequest = httpRequest;
    let target: string;
    if (server) {
      const url = server;
      const token = this.#options.token;
      if (!token) throw new BerthError('BERTH_UNAUTHORIZED', 'a remote server needs a token: --token-file FILE, BERTH_TOKEN_FILE or BERTH_TOKEN (create one with: berth token create)');
      headers['authorization'] = `Bearer ${token}`;
      send = process.getBuiltinModule('node:https').request as typeof httpRequest;
      options = { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port || 443, method, path: url.pathname.replace(/\/$/, '') + path, headers };
      if (this.#options.caFile) (options as { ca?: Buffer }).ca = readCa(this.#options.caFile);
      target = url.origin;
    } else {
      options = { socketPath: this.#options.socketPath, method, path, headers };
      target = this.#options.socketPath;
    }
    return new Promise((resolve, reject) => {
      const req = send(options, resolve);
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') {
          reject(new BerthError('BERTH_UNAVAILABLE', `berth server is not running (nothing answers at ${target}); start it with: berth serve`));
        } else if (e.code === 'EACCES') {
          reject(new BerthError('BERTH_FORBIDDEN', `permission denied on ${target}: the admin socket is for root (or use --server with a token)`));
        } else if (server && tlsAdvice(e, target, this.#options.caFile)) {
          reject(new BerthError('BERTH_UNAVAILABLE', tlsAdvice(e, target, this.#options.caFile)!));
        } else {
          reject(new BerthError('BERTH_UNAVAILABLE', `cannot reach the berth server at ${target}: ${e.message}`));
        }
      });
      req.end(payload);
    });
  }
}

function readCa(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new BerthError('BERTH_BAD_INPUT', `--ca ${file}: cannot read the CA certificate: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file });
  }
}

async function readAll(stream: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
