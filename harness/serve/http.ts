// Small HTTP plumbing shared by clsrl's servers (reward server, OpenAI-compatible server): bounded
// JSON bodies, JSON replies, bearer-token checks and a listen/close wrapper. No routing framework.

import http from 'http';
import type { AddressInfo } from 'net';
import { timingSafeEqual } from 'crypto';
import { ClsrlError } from '../errors';

/** A request error the server turns into a JSON error reply with this status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = 'invalid_request_error',
  ) {
    super(message);
  }
}

/** Reads the whole body, failing with 413 as soon as it exceeds `limit` bytes. */
export function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(new HttpError(413, `request body of ${declared} bytes exceeds the limit of ${limit} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new HttpError(413, `request body exceeds the limit of ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (!failed) reject(err);
    });
  });
}

/** Parses a JSON body; malformed JSON is a 400 naming the parse error. */
export async function readJson(req: http.IncomingMessage, limit: number): Promise<unknown> {
  const body = await readBody(req, limit);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, `malformed JSON body: ${(err as Error).message}`);
  }
}

export function sendJson(res: http.ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** OpenAI-style error body: {error: {message, type, code}}. */
export function sendError(res: http.ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof HttpError) {
    sendJson(res, err.status, { error: { message: err.message, type: err.type, code: err.status } });
    return;
  }
  const message = err instanceof Error ? err.message : String(err);
  sendJson(res, 500, { error: { message, type: 'server_error', code: 500 } });
}

/** True when `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** Rejects with 401 unless the request carries `Authorization: Bearer <token>` (constant-time compare). */
export function checkBearer(req: http.IncomingMessage, token: string | undefined): void {
  if (!token) return;
  const header = req.headers.authorization ?? '';
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
  const want = Buffer.from(token);
  if (given.length !== want.length || !timingSafeEqual(given, want)) {
    throw new HttpError(401, 'missing or wrong bearer token (send "Authorization: Bearer <token>")', 'authentication_error');
  }
}

/** Refuses to bind beyond loopback without a token: anyone on the network could otherwise use the server. */
export function requireTokenBeyondLoopback(host: string, token: string | undefined, what: string): void {
  if (!isLoopback(host) && !token) {
    throw new ClsrlError('BAD_FLAG', `${what} bound to ${host} needs a token`, {
      hint: 'pass --token (or set CLSRL_TOKEN), or bind to 127.0.0.1',
    });
  }
}

export interface RunningServer {
  /** `http://host:port` with the real port (useful with port 0). */
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

/** Starts `server` on host:port and returns its URL and a close function that also drops idle sockets. */
export function listen(server: http.Server, host: string, port: number): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(new ClsrlError('EXTERNAL', `cannot listen on ${host}:${port}: ${err.message}`, { cause: err })));
    server.listen(port, host, () => {
      const addr = server.address() as AddressInfo;
      const urlHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve({
        url: `http://${urlHost}:${addr.port}`,
        host: addr.address,
        port: addr.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
