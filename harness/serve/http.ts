// Small HTTP plumbing shared by clsrl's servers (reward server, OpenAI-compatible server): bounded
// JSON bodies, JSON replies, bearer-token checks and a listen/close wrapper. No routing framework.

import http from 'http';
import net, { type AddressInfo } from 'net';
import { promises as dns } from 'dns';
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

/** True when `address` (an IP literal) is a loopback address: 127.0.0.0/8, ::1, or IPv4-mapped 127/8. */
export function isLoopbackAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 4) return address.split('.')[0] === '127';
  if (family === 6) {
    const a = address.toLowerCase();
    if (a.startsWith('::ffff:') && net.isIPv4(a.slice(7))) return isLoopbackAddress(a.slice(7));
    return LOOPBACK6.check(a, 'ipv6');
  }
  return false;
}
const LOOPBACK6 = new net.BlockList();
LOOPBACK6.addAddress('::1', 'ipv6');

/**
 * True when `host` only accepts connections from this machine, decided on the addresses it resolves to
 * (every one must be loopback), never on how the name is spelled: `127.example.com` is whatever DNS says.
 */
export async function isLoopback(host: string): Promise<boolean> {
  if (net.isIP(host)) return isLoopbackAddress(host);
  let addrs: { address: string }[];
  try {
    addrs = await dns.lookup(host, { all: true });
  } catch (err) {
    throw new ClsrlError('BAD_FLAG', `--host ${JSON.stringify(host)} does not resolve to an address (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, {
      hint: 'pass an IP address such as 127.0.0.1, or a name this machine resolves',
    });
  }
  return addrs.length > 0 && addrs.every((a) => isLoopbackAddress(a.address));
}

/**
 * Rejects with 401 unless the request carries `Authorization: Bearer <token>` (constant-time compare).
 * The scheme name is case-insensitive (RFC 7235 section 2.1), the token is compared exactly.
 */
export function checkBearer(req: http.IncomingMessage, token: string | undefined): void {
  if (!token) return;
  const m = /^bearer +(.*)$/is.exec(req.headers.authorization ?? '');
  const given = Buffer.from(m ? m[1].trim() : '');
  const want = Buffer.from(token);
  if (given.length !== want.length || !timingSafeEqual(given, want)) {
    throw new HttpError(401, 'missing or wrong bearer token (send "Authorization: Bearer <token>")', 'authentication_error');
  }
}

/** Refuses to bind beyond loopback without a token: anyone on the network could otherwise use the server. */
export async function requireTokenBeyondLoopback(host: string, token: string | undefined, what: string): Promise<void> {
  if (!token && !(await isLoopback(host))) {
    throw new ClsrlError('BAD_FLAG', `${what} bound to ${host} needs a token (it is not a loopback address)`, {
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
