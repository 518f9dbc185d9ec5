// Command-line flags as data: every command declares its flags in one table of FlagSpecs, yargs reads
// them all as text, and parseFlags validates them into typed values (BAD_FLAG naming the flag, never NaN
// or a silently dropped value). The sweep's table lives in runner/options.ts; the other commands' in
// their own files.

import { ClsrlError } from './errors';

export type FlagKind = 'string' | 'choice' | 'names' | 'ints' | 'int' | 'number' | 'boolean' | 'keyvalues' | 'lines' | 'text';

export interface FlagSpec {
  kind: FlagKind;
  describe: string;
  /** Smallest allowed value for ints/int/number. */
  min?: number;
  /** Largest allowed value for ints/int/number. */
  max?: number;
  /** Allowed values for names/choice. */
  choices?: readonly string[];
  /** yargs must see the flag (the message names it). */
  required?: boolean;
  /** Shown by --help and applied when the flag is absent (text, parsed like a given value). */
  default?: string;
  /** --help section. */
  group?: string;
}

export type FlagTable = Record<string, FlagSpec>;

type ValueOf<K extends FlagKind> = K extends 'string' | 'choice' | 'text'
  ? string
  : K extends 'names' | 'lines'
    ? string[]
    : K extends 'ints'
      ? number[]
      : K extends 'int' | 'number'
        ? number
        : K extends 'boolean'
          ? boolean
          : Record<string, unknown>;

/** The typed values of a flag table (camelCase keys; absent flags without default are undefined). */
export type FlagValues<T extends FlagTable> = { -readonly [K in keyof T]?: ValueOf<T[K]['kind']> };

/** The kebab-case flag of a field (`dataRoot` -> `data-root`). */
export const flagName = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export function badFlag(command: string, key: string, got: unknown, what: string): ClsrlError {
  return new ClsrlError('BAD_FLAG', `--${flagName(key)} ${JSON.stringify(got)}: ${what}`, {
    hint: `clsrl ${command} --help describes --${flagName(key)}`,
  });
}

/** Comma-separated items; an empty item (`2,,3`, `a,`) is an error, not silently dropped. */
function splitList(command: string, key: string, raw: unknown): string[] {
  const given = (Array.isArray(raw) ? raw : [raw]).map(String);
  if (given.some((v) => v.trim() === '')) throw badFlag(command, key, raw, 'expected a value');
  const parts = given.flatMap((v) => v.split(',')).map((s) => s.trim());
  if (parts.some((s) => s === '')) throw badFlag(command, key, raw, 'empty item in the comma-separated list');
  return parts;
}

function one(command: string, key: string, raw: unknown): string {
  if (Array.isArray(raw)) throw badFlag(command, key, raw, 'given more than once');
  return String(raw);
}

function integers(command: string, key: string, spec: FlagSpec, raw: unknown): number[] {
  return splitList(command, key, raw).map((s) => {
    const n = Number(s);
    if (!/^-?\d+$/.test(s) || !Number.isSafeInteger(n)) throw badFlag(command, key, raw, `'${s}' is not an integer`);
    if (spec.min !== undefined && n < spec.min) throw badFlag(command, key, raw, `${n} is below the minimum ${spec.min}`);
    if (spec.max !== undefined && n > spec.max) throw badFlag(command, key, raw, `${n} is above the maximum ${spec.max}`);
    return n;
  });
}

/** Validates one raw flag value against its spec. */
export function parseFlag(command: string, key: string, spec: FlagSpec, raw: unknown): unknown {
  switch (spec.kind) {
    case 'text':
      return one(command, key, raw); // any text, also empty (a completion to score)
    case 'string': {
      const v = one(command, key, raw);
      if (v.trim() === '') throw badFlag(command, key, raw, 'expected a non-empty value');
      return v;
    }
    case 'choice': {
      const v = one(command, key, raw);
      if (!spec.choices?.includes(v)) throw badFlag(command, key, raw, `expected one of ${spec.choices?.join(', ')}`);
      return v;
    }
    case 'boolean':
      return !!raw;
    case 'int': {
      const nums = integers(command, key, spec, one(command, key, raw));
      if (nums.length !== 1) throw badFlag(command, key, raw, 'expected one integer');
      return nums[0];
    }
    case 'ints':
      return [...new Set(integers(command, key, spec, raw))];
    case 'number': {
      const s = one(command, key, raw).trim();
      const n = Number(s);
      if (!/^-?\d+(\.\d+)?$/.test(s) || !Number.isFinite(n)) throw badFlag(command, key, raw, 'expected a decimal number');
      if (spec.min !== undefined && n < spec.min) throw badFlag(command, key, raw, `${n} is below the minimum ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) throw badFlag(command, key, raw, `${n} is above the maximum ${spec.max}`);
      return n;
    }
    case 'lines':
      return (Array.isArray(raw) ? raw : [raw]).map(String); // repeatable, each value as given
    case 'names': {
      const list = splitList(command, key, raw);
      for (const n of list) {
        if (spec.choices && !spec.choices.includes(n)) throw badFlag(command, key, raw, `'${n}' is not one of ${spec.choices.join(', ')}`);
      }
      return [...new Set(list)];
    }
    case 'keyvalues': {
      const out: Record<string, unknown> = {};
      for (const kv of (Array.isArray(raw) ? raw : [raw]).map(String)) {
        const eq = kv.indexOf('=');
        if (eq <= 0) throw badFlag(command, key, kv, 'expected key=value');
        const v = kv.slice(eq + 1);
        try {
          out[kv.slice(0, eq)] = JSON.parse(v);
        } catch {
          out[kv.slice(0, eq)] = v;
        }
      }
      return out;
    }
  }
}

/** Validates parsed argv (camelCase keys) against a flag table; defaults apply to absent flags. */
export function parseFlags<T extends FlagTable>(command: string, table: T, argv: Record<string, unknown>): FlagValues<T> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table)) {
    const raw = argv[key] ?? spec.default;
    if (raw === undefined || (spec.kind === 'boolean' && raw === false)) continue;
    out[key] = parseFlag(command, key, spec, raw);
  }
  return out as FlagValues<T>;
}

type YargsOption = { type: 'string' | 'boolean' | 'array'; describe: string; demandOption?: boolean; group?: string };

/** yargs option definitions (kebab-case) for a flag table: everything but booleans is read as text. */
export function yargsOptions(table: FlagTable): Record<string, YargsOption> {
  const out: Record<string, YargsOption> = {};
  for (const [key, spec] of Object.entries(table)) {
    const type = spec.kind === 'boolean' ? 'boolean' : spec.kind === 'keyvalues' || spec.kind === 'lines' ? 'array' : 'string';
    const extra = [spec.choices && spec.kind === 'choice' ? `one of ${spec.choices.join(', ')}` : '', spec.default !== undefined ? `default ${spec.default}` : '']
      .filter(Boolean)
      .join('; ');
    out[flagName(key)] = {
      type,
      describe: extra ? `${spec.describe} (${extra})` : spec.describe,
      ...(spec.required ? { demandOption: true } : {}),
      ...(spec.group ? { group: spec.group } : {}),
    };
  }
  return out;
}

/** One integer flag value of any command (`--shots abc` -> BAD_FLAG). */
export function intFlag(name: string, raw: unknown, min: number, command = 'COMMAND'): number {
  return parseFlag(command, name, { kind: 'int', min, describe: '' }, raw) as number;
}
