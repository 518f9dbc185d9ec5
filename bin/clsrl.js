#!/usr/bin/env node
// Entry point: runs the TypeScript CLI through tsx (esbuild transpile, no build step).
require('tsx/cjs');
require('../harness/cli.ts').main(process.argv.slice(2));
