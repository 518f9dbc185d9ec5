// onnxruntime-node, loaded once, plus a fix for running it inside Jest's VM sandbox: ORT creates output
// typed arrays in Node's main realm, and onnxruntime-common's `instanceof Float32Array` check (sandbox
// realm) then rejects them. When (and only when) the realms differ, typed-array `instanceof` also
// accepts same-kind arrays from the main realm. Outside Jest this file is a plain re-export.

import * as vm from 'vm';

function bridgeTypedArrayRealms(): void {
  const ctors = [Float32Array, Float64Array, BigInt64Array, Int32Array, Uint8Array] as unknown as { name: string }[];
  for (const C of ctors) {
    const outer = vm.runInThisContext(C.name) as unknown;
    if (outer === C) continue;
    const tag = `[object ${C.name}]`;
    Object.defineProperty(C, Symbol.hasInstance, {
      configurable: true,
      value: (x: unknown) => Object.prototype.toString.call(x) === tag,
    });
  }
}

bridgeTypedArrayRealms();

// eslint-disable-next-line @typescript-eslint/no-require-imports
import ort = require('onnxruntime-node');
export { ort };
