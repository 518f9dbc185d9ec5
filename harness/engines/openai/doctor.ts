// Preflight of an OpenAI-compatible endpoint (`clsrl doctor --engine openai`, and trl with baseUrl):
// GET /v1/models lists the model, and one tiny completion with an image comes back through exactly the
// request the evaluation sends (image as a data URL, the configured sampling, repetition_penalty).

import fs from 'fs';
import os from 'os';
import path from 'path';
import sharp from 'sharp';
import type { PreflightCheck } from '../../contracts';
import { ok, problem } from '../../doctor';
import { OpenAIGenerator, type OpenAIEngineOptions } from './index';

/** An 8 x 8 PNG to send (written once to the temp folder). */
async function probeImage(): Promise<string> {
  const file = path.join(os.tmpdir(), 'clsrl-doctor-probe.png');
  if (!fs.existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 30, g: 140, b: 60 } } }).png().toFile(tmp);
    fs.renameSync(tmp, file);
  }
  return file;
}

export async function endpointChecks(o: OpenAIEngineOptions, model: string): Promise<PreflightCheck[]> {
  const url = o.baseUrl.replace(/\/+$/, '');
  const headers: Record<string, string> = o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {};
  let listed: string[];
  try {
    const res = await fetch(`${url}/models`, { headers, signal: AbortSignal.timeout(Math.min(o.timeoutMs, 30_000)) });
    if (!res.ok) return [problem('endpoint /v1/models', `${url}/models answered ${res.status}: ${(await res.text()).slice(0, 200)}`, res.status === 401 ? 'set the API key (apiKey / OPENAI_API_KEY)' : 'check baseUrl (it ends in /v1)')];
    listed = (((await res.json()) as { data?: { id?: string }[] }).data ?? []).map((m) => String(m.id));
  } catch (e) {
    return [problem('endpoint /v1/models', `${url} unreachable: ${(e as Error).message}`, 'start the server (`vllm serve <model>`, or `clsrl serve --engine tiny` to try without a GPU) or fix baseUrl')];
  }
  const checks: PreflightCheck[] = [];
  if (!listed.includes(model)) {
    checks.push(problem('endpoint /v1/models', `${url} serves ${listed.map((m) => `'${m}'`).join(', ') || 'nothing'}, not '${model}'`, `pass --model with a served name, or serve '${model}' (vllm: --served-model-name)`));
  } else {
    checks.push(ok('endpoint /v1/models', `${url} serves '${model}'`));
  }
  const generator = new OpenAIGenerator({ ...o, cache: 'off', maxRetries: 0 });
  try {
    const started = Date.now();
    const [out] = await generator.generate(model, [{ id: 'doctor', image: await probeImage(), text: 'What colour is this image?' }], { n: 1, temperature: 0, maxTokens: 8, seed: 0 });
    checks.push(ok('completion with an image', `answered ${JSON.stringify(out[0].text.slice(0, 40))} in ${Date.now() - started} ms (repetition_penalty ${o.repetitionPenalty ?? 'not sent'})`));
  } catch (e) {
    checks.push(problem('completion with an image', (e as Error).message.slice(0, 300), 'the server must take an image_url data URL and the sampling fields clsrl sends (see the message); for a server without repetition_penalty pass --engine-opt repetitionPenalty=1'));
  } finally {
    generator.close();
  }
  return checks;
}
