#!/usr/bin/env node
// Entry point: runs the TypeScript CLI through tsx (esbuild transpile, no build step). `import('tsx')`
// registers both the CommonJS and the ESM hooks, so lazy `import('./engine')` of .ts files works too.
import('tsx').then(() => require('../harness/cli.ts').main(process.argv.slice(2)));
