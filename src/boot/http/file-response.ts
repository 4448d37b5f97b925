/**
 * Serves one file over HTTP the way boot clients and caches expect (RFC 9110):
 * HEAD, a single byte Range (206, or 416 when unsatisfiable), validators
 * (ETag from inode, size and mtime; Last-Modified) with If-None-Match,
 * If-Modified-Since and If-Range. Several ranges in one request are answered
 * with the whole file, which RFC 9110 §14.2 allows. The file is opened once,
 * so a file replaced while being served is served consistently.
 *
 * `serveConfinedFile` serves a path only when its real path (symlinks
 * followed) stays inside a folder, as the TFTP server does: a symlink in a
 * profile, an image version or a media tree may point anywhere, private/
 * included.
 */
import { open, realpath } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, sep } from 'node:path';

export interface ServedFile {
  status: number;
  /** Bytes of body sent (0 for HEAD, 304, 416). */
  bytes: number;
}

const CHUNK = 512 * 1024;

/**
 * `relative` (already split into checked segments by the caller) under
 * `root`, served only if it resolves inside `root`'s real path; otherwise a
 * 404 with `outside: true`, for the caller's drop counter.
 */
export async function serveConfinedFile(request: IncomingMessage, response: ServerResponse, root: string, relative: readonly string[], contentType: string): Promise<ServedFile & { outside?: true }> {
  const [real, realRoot] = await Promise.all([realpath(join(root, ...relative)).catch(() => undefined), realpath(root).catch(() => undefined)]);
  if (!real || !realRoot) return sendStatus(response, 404);
  if (!real.startsWith(realRoot + sep)) return { ...sendStatus(response, 404), outside: true };
  return serveFile(request, response, real, contentType);
}

export async function serveFile(request: IncomingMessage, response: ServerResponse, path: string, contentType: string): Promise<ServedFile> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return sendStatus(response, 404);
  }
  let handedOver = false;
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return sendStatus(response, 404);
    const size = stat.size;
    const etag = `"${stat.ino.toString(36)}-${size.toString(36)}-${Math.floor(stat.mtimeMs).toString(36)}"`;
    const lastModified = new Date(Math.floor(stat.mtimeMs / 1000) * 1000).toUTCString();
    const headers: Record<string, string | number> = {
      etag,
      'last-modified': lastModified,
      'accept-ranges': 'bytes',
      'content-type': contentType,
      'cache-control': 'no-cache',
    };
    if (notModified(request, etag, stat.mtimeMs)) {
      response.writeHead(304, headers);
      response.end();
      return { status: 304, bytes: 0 };
    }
    let start = 0;
    let end = size - 1;
    let status = 200;
    const range = request.headers.range;
    if (range !== undefined && rangeApplies(request, etag, lastModified)) {
      const parsed = parseRange(range, size);
      if (parsed === 'unsatisfiable') {
        response.writeHead(416, { ...headers, 'content-range': `bytes */${size}`, 'content-length': 0 });
        response.end();
        return { status: 416, bytes: 0 };
      }
      if (parsed) {
        [start, end] = parsed;
        status = 206;
        headers['content-range'] = `bytes ${start}-${end}/${size}`;
      }
    }
    const length = size === 0 ? 0 : end - start + 1;
    headers['content-length'] = length;
    response.writeHead(status, headers);
    if (request.method === 'HEAD' || length === 0) {
      response.end();
      return { status, bytes: 0 };
    }
    handedOver = true;
    // The stream owns the handle from here and closes it when it ends or is destroyed (a stream made on
    // the bare descriptor closes it on destroy too, whatever autoClose says, and a second close then hits
    // whichever file reused the number: EBADF for another request under load).
    const stream = handle.createReadStream({ start, end, highWaterMark: CHUNK });
    return await new Promise<ServedFile>((resolve) => {
      let sent = 0;
      stream.on('data', (chunk) => (sent += chunk.length));
      response.on('close', () => {
        stream.destroy();
        resolve({ status, bytes: sent });
      });
      stream.on('error', () => response.destroy());
      stream.pipe(response);
    });
  } finally {
    if (!handedOver) await handle.close().catch(() => undefined);
  }
}

function notModified(request: IncomingMessage, etag: string, mtimeMs: number): boolean {
  const ifNoneMatch = request.headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    return ifNoneMatch.trim() === '*' || ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
  }
  const ifModifiedSince = request.headers['if-modified-since'];
  if (ifModifiedSince !== undefined) {
    const since = Date.parse(ifModifiedSince);
    return !Number.isNaN(since) && Math.floor(mtimeMs / 1000) * 1000 <= since;
  }
  return false;
}

/** If-Range: the range applies only if the client's copy is still current. */
function rangeApplies(request: IncomingMessage, etag: string, lastModified: string): boolean {
  const header = request.headers['if-range'];
  if (header === undefined) return true;
  const ifRange = Array.isArray(header) ? header[0]! : header;
  return ifRange.startsWith('"') || ifRange.startsWith('W/') ? ifRange === etag : ifRange === lastModified;
}

/** `[start, end]` inclusive, undefined to ignore the header (malformed or multi-range), or 'unsatisfiable'. */
export function parseRange(header: string, size: number): [number, number] | undefined | 'unsatisfiable' {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    return size === 0 ? 'unsatisfiable' : [Math.max(0, size - suffix), size - 1];
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return undefined;
  return [start, end];
}

function sendStatus(response: ServerResponse, status: number): ServedFile {
  response.writeHead(status, { 'content-type': 'text/plain', 'content-length': 0 });
  response.end();
  return { status, bytes: 0 };
}
