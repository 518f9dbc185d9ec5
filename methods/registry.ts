// Method registry: name -> plugin. Adding a method is one file in methods/ plus one line here
// (or `registerMethod(plugin)` from outside, e.g. a test or an extension). See docs/adding-a-method.md.

import type { MethodPlugin } from '../harness/contracts';
import { ClsrlError, unknownName } from '../harness/errors';
import { clsRl } from './cls-rl';
import { noThinkingClsRl } from './no-thinking-cls-rl';
import { sft } from './sft';
import { zeroShot } from './zero-shot';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyPlugin = MethodPlugin<any>;

const METHODS = {
  // Registration lines (one per method), sorted:
  'cls-rl': clsRl,
  'no-thinking-cls-rl': noThinkingClsRl,
  sft: sft,
  'zero-shot': zeroShot,
} as const satisfies Record<string, AnyPlugin>;

export type MethodName = keyof typeof METHODS;

/** Plugins registered at run time (tests, extensions); they may not shadow a built-in name. */
const EXTRA = new Map<string, AnyPlugin>();

const NAME_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;

export function methodNames(): string[] {
  return [...Object.keys(METHODS), ...EXTRA.keys()].sort();
}

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(METHODS, name);
}

export function getMethod(name: string): AnyPlugin {
  if (isMethodName(name)) return METHODS[name];
  const extra = EXTRA.get(name);
  if (extra) return extra;
  throw unknownName('method', name, methodNames());
}

/** All plugins, sorted by name. */
export function listMethods(): AnyPlugin[] {
  return methodNames().map(getMethod);
}

/** Registers a plugin from outside methods/ (re-registering the same name replaces it). */
export function registerMethod<C extends object>(plugin: MethodPlugin<C>): void {
  const name = plugin.meta?.name;
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new ClsrlError('BAD_CONFIG', `method name '${String(name)}' is not kebab-case`, { hint: "use e.g. 'my-method'" });
  }
  if (isMethodName(name)) {
    throw new ClsrlError('BAD_CONFIG', `method '${name}' is built in and cannot be replaced`, { hint: 'pick another name' });
  }
  EXTRA.set(name, plugin as AnyPlugin);
}

/** Removes a plugin added with registerMethod (tests clean up after themselves). */
export function unregisterMethod(name: string): boolean {
  return EXTRA.delete(name);
}
