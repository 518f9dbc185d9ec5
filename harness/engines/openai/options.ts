// The openai engine's options and what kind each is: `result` options enter run ids, `operational` ones
// (where the server is, how hard to push it, where answers are cached) do not (harness/engines/options.ts).

import type { EngineOptionTable } from '../options';

export const OPENAI_OPTIONS = {
  model: { kind: 'result', describe: 'model name the server serves (GET /v1/models)' },
  imageSize: { kind: 'result', describe: 'resize images to N x N (Lanczos) before sending; 0 sends the file unchanged' },
  topP: { kind: 'result', describe: 'top_p sent with every request' },
  repetitionPenalty: { kind: 'result', describe: "vLLM's repetition_penalty sent with every request" },
  baseUrl: { kind: 'operational', describe: 'the OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1' },
  apiKey: { kind: 'operational', describe: 'bearer token (default from the environment variable apiKeyEnv)' },
  apiKeyEnv: { kind: 'operational', describe: 'environment variable holding the API key (default OPENAI_API_KEY)' },
  concurrency: { kind: 'operational', describe: 'requests in flight' },
  timeoutMs: { kind: 'operational', describe: 'per-request timeout' },
  maxRetries: { kind: 'operational', describe: 'retries on 429, 5xx, timeouts and dropped connections' },
  retryBaseMs: { kind: 'operational', describe: 'first retry delay (doubles each retry)' },
  cache: { kind: 'operational', describe: "answer cache file, or 'off' (answers are keyed by model, prompt, image and sampling)" },
} as const satisfies EngineOptionTable;
