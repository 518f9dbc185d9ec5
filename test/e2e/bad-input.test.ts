// End to end: bad inputs (missing data root, malformed split file, missing image, unknown names, bad flag
// values) exit non-zero with a short `error:` line naming the thing and a `hint:` line, print nothing on
// stdout, and leave the results database exactly as it was (checksum of its contents).

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { dbChecksum } from '../../harness/store';
import { makeCoopFixture } from '../fixtures/coop';
import { cli, fixtureSuite, json, writeSuite } from '../helpers/cli';

const DATASETS = ['EuroSAT', 'DescribableTextures', 'OxfordPets'];
let dir: string;
let good: string;
let db: string;
let suiteFile: string;
let roots: { corrupt: string; missingImage: string };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-bad-'));
  good = path.join(dir, 'good');
  roots = { corrupt: path.join(dir, 'corrupt'), missingImage: path.join(dir, 'missing-image') };
  await makeCoopFixture(good, { datasets: DATASETS });
  await makeCoopFixture(roots.corrupt, { datasets: DATASETS, corruptSplit: ['EuroSAT'] });
  await makeCoopFixture(roots.missingImage, { datasets: DATASETS, omitImages: { OxfordPets: 1 } });
  suiteFile = writeSuite(dir, fixtureSuite('bad', DATASETS));
  db = path.join(dir, 'results.sqlite');
  // a DB with some finished runs and more to do, so a bad command has something it could wrongly write
  json(cli(['sweep', '--suite', suiteFile, '--data-root', good, '--db', db, '--datasets', 'EuroSAT', '--methods', 'zero-shot', '--json']));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs the command and checks the failure contract; returns stderr for the case's own checks. */
function expectFailure(args: string[], code: number, message: RegExp, hint?: RegExp): string {
  const before = dbChecksum(db);
  const r = cli(args);
  expect({ args, code: r.code }).toEqual({ args, code });
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(message);
  // the message may list a few items (missing files) before the hint
  const hintLine = lines.find((l) => l.startsWith('hint: ')) ?? '';
  expect(hintLine).toMatch(/^hint: .+/);
  if (hint) expect(hintLine).toMatch(hint);
  expect(lines.length).toBeLessThan(15);
  expect(r.stderr).not.toMatch(/^\s+at /m); // a short message, not a stack
  expect(dbChecksum(db)).toBe(before);
  return r.stderr;
}

const sweep = (...extra: string[]) => ['sweep', '--suite', suiteFile, '--db', db, ...extra];

test('the DB starts with finished runs', () => {
  expect(dbChecksum(db)).not.toBe('absent');
});

test('missing data root', () => {
  const nope = path.join(dir, 'no-such-root');
  expectFailure(sweep('--data-root', nope), 1, new RegExp(`data root does not exist: .*no-such-root`), /--data-root/);
  expectFailure(sweep(), 1, /no data root given/, /CLSRL_DATA/);
});

test('malformed split file names the file', () => {
  expectFailure(sweep('--data-root', roots.corrupt), 1, /split_zhou_EuroSAT\.json/);
});

test('missing image names the dataset and the image', () => {
  const err = expectFailure(sweep('--data-root', roots.missingImage), 1, /OxfordPets|oxford_pets/);
  expect(err).toMatch(/yorkshire_terrier_\d+\.jpg/);
});

test('unknown dataset, method, suite and engine names suggest close ones', () => {
  expectFailure(sweep('--data-root', good, '--datasets', 'EuroSat'), 1, /unknown dataset.*'EuroSat'/, /did you mean 'EuroSAT'/);
  expectFailure(sweep('--data-root', good, '--methods', 'cls_rl'), 1, /unknown method 'cls_rl'/, /did you mean 'cls-rl'/);
  expectFailure(['sweep', '--suite', 'paper-fewshoot', '--db', db, '--data-root', good], 1, /unknown suite 'paper-fewshoot'/, /paper-fewshot/);
  expectFailure(sweep('--data-root', good, '--engine', 'nope'), 1, /unknown engine 'nope'/, /double/);
  const withUnknown = writeSuite(dir, fixtureSuite('bad-ds', ['EuroSAT', 'NoSuchSet']));
  expectFailure(['sweep', '--suite', withUnknown, '--db', db, '--data-root', good], 1, /unknown dataset 'NoSuchSet'/);
});

test('invalid suite files name the field', () => {
  const f = path.join(dir, 'broken.json');
  fs.writeFileSync(f, JSON.stringify({ ...fixtureSuite('broken', DATASETS), settings: [{ setting: 'few-shot', shots: ['4'], seeds: [1] }] }));
  expectFailure(['sweep', '--suite', f, '--db', db, '--data-root', good], 1, /broken\.json is not a valid suite: settings\.0\.shots\.0/);
  const cfg = writeSuite(dir, fixtureSuite('bad-cfg', DATASETS, { methodConfig: { sft: { epochs: 0 } } }));
  expectFailure(['sweep', '--suite', cfg, '--db', db, '--data-root', good], 1, /method 'sft'.*epochs/);
});

test('bad flag values exit 2 and name the flag', () => {
  expectFailure(sweep('--data-root', good, '--jobs', '0'), 2, /--jobs "0": 0 is below the minimum 1/);
  expectFailure(sweep('--data-root', good, '--seeds', '1,x'), 2, /--seeds "1,x": 'x' is not an integer/);
  expectFailure(sweep('--data-root', good, '--settings', 'fewshot'), 2, /--settings.*'fewshot'/);
  expectFailure(sweep('--data-root', good, '--frobnicate'), 2, /frobnicate/, /--help/);
  expectFailure(['sweep', '--db', db], 2, /suite/);
  expectFailure(['split', '--dataset', 'EuroSAT', '--setting', 'few-shot', '--shots', 'four', '--seed', '1', '--data-root', good], 2, /--shots/);
  expectFailure(['report', '--db', db, '--format', 'md,docx', '--out', path.join(dir, 'r')], 2, /docx/);
});

test('reading commands on a missing DB fail without creating it', () => {
  const missing = path.join(dir, 'none.sqlite');
  expectFailure(['results', '--db', missing], 1, /no results database at .*none\.sqlite/, /sweep/);
  expect(fs.existsSync(missing)).toBe(false);
});
