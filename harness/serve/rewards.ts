// The reward server: scores batches of (method, completion, label) over loopback HTTP with exactly the
// functions `clsrl score` uses, so an external trainer (TRL) and clsrl's evaluator reward alike.
// Endpoints: POST /score, GET /health. Not a general scoring API: one request shape, bounded size.

import http from 'http';
import type { RewardName, Score } from '../contracts';
import { type RewardOptions, rewardOptionsOf, scoreCompletion } from '../scoring';
import { getMethod } from '../../methods/registry';
import { checkBearer, HttpError, listen, readJson, requireTokenBeyondLoopback, sendError, sendJson, type RunningServer } from './http';

export interface RewardServerOptions {
  /** Default 127.0.0.1. Anything else requires `token`. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Bearer token clients must send (required beyond loopback, optional on it). */
  token?: string;
  /** Request body limit in bytes (413 above it). */
  maxBodyBytes?: number;
  /** Items per request limit (413 above it). */
  maxItems?: number;
}

export interface ScoreItem {
  method: string;
  completion: string;
  label: string;
  /** The run's `mathVerify` (cls-rl's accuracy reward); absent = the method's default. */
  mathVerify?: boolean;
}

/** One scored item: the Score of `scoreCompletion` with the method's declared rewards. */
export type ScoreReply = Score;

export const REWARD_SERVER_DEFAULTS = { host: '127.0.0.1', port: 8765, maxBodyBytes: 8 * 1024 * 1024, maxItems: 4096 };

/** Validates the /score body, naming the offending field in the message. */
export function parseScoreRequest(body: unknown, maxItems: number): ScoreItem[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'body must be a JSON object {"items": [{"method", "completion", "label"}, ...]}');
  }
  const items = (body as { items?: unknown }).items;
  if (!Array.isArray(items)) throw new HttpError(400, 'field "items" must be an array');
  if (items.length > maxItems) throw new HttpError(413, `field "items" has ${items.length} entries; the limit is ${maxItems}`);
  return items.map((raw, i) => {
    if (typeof raw !== 'object' || raw === null) throw new HttpError(400, `items[${i}] must be an object`);
    const item = raw as Record<string, unknown>;
    for (const key of ['method', 'completion', 'label'] as const) {
      if (typeof item[key] !== 'string') throw new HttpError(400, `items[${i}].${key} must be a string`);
    }
    if (item.mathVerify !== undefined && typeof item.mathVerify !== 'boolean') throw new HttpError(400, `items[${i}].mathVerify must be a boolean`);
    if ((item.label as string).trim() === '') throw new HttpError(400, `items[${i}].label must not be empty (every answer would count as correct)`);
    const out: ScoreItem = { method: item.method as string, completion: item.completion as string, label: item.label as string };
    if (item.mathVerify !== undefined) out.mathVerify = item.mathVerify as boolean;
    return out;
  });
}

interface MethodScoring { rewards: RewardName[]; options: RewardOptions }

/** Rewards a method declares and its default reward options; an unknown method is a 400 listing what exists. */
function methodScoring(method: string, cache: Map<string, MethodScoring>, index: number): MethodScoring {
  const hit = cache.get(method);
  if (hit) return hit;
  let scoring: MethodScoring;
  try {
    const plugin = getMethod(method);
    scoring = { rewards: plugin.meta.rewards, options: rewardOptionsOf(plugin.defaults('') as Record<string, unknown>) };
  } catch (err) {
    const hint = (err as { hint?: string }).hint;
    throw new HttpError(400, `items[${index}].method: ${(err as Error).message}${hint ? ` (${hint})` : ''}`);
  }
  cache.set(method, scoring);
  return scoring;
}

/** Scores items exactly as `clsrl score` does. */
export function scoreItems(items: ScoreItem[]): ScoreReply[] {
  const cache = new Map<string, MethodScoring>();
  return items.map((it, i) => {
    const { rewards, options } = methodScoring(it.method, cache, i);
    const opts = it.mathVerify === undefined ? options : { ...options, mathVerify: it.mathVerify };
    return scoreCompletion(rewards, it.completion, it.label, opts);
  });
}

export function createRewardHandler(opts: RewardServerOptions = {}): http.RequestListener {
  const maxBodyBytes = opts.maxBodyBytes ?? REWARD_SERVER_DEFAULTS.maxBodyBytes;
  const maxItems = opts.maxItems ?? REWARD_SERVER_DEFAULTS.maxItems;
  return (req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && path === '/health') {
        sendJson(res, 200, { status: 'ok' });
        return;
      }
      checkBearer(req, opts.token);
      if (path !== '/score') throw new HttpError(404, `no route ${req.method} ${path} (use POST /score or GET /health)`);
      if (req.method !== 'POST') throw new HttpError(405, `use POST for /score, not ${req.method}`);
      const items = parseScoreRequest(await readJson(req, maxBodyBytes), maxItems);
      sendJson(res, 200, { scores: scoreItems(items) });
    })().catch((err) => sendError(res, err));
  };
}

/** Starts the reward server; `close()` stops it. */
export async function startRewardServer(opts: RewardServerOptions = {}): Promise<RunningServer> {
  const host = opts.host ?? REWARD_SERVER_DEFAULTS.host;
  await requireTokenBeyondLoopback(host, opts.token, 'the reward server');
  const server = http.createServer(createRewardHandler(opts));
  return listen(server, host, opts.port ?? REWARD_SERVER_DEFAULTS.port);
}
