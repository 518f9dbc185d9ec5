// Opens the HTML report built from the fixture source in headless Chromium (Debian's package, driven
// by playwright-core): no console errors, every table present, every chart drawn with a non-zero size,
// and a full-page screenshot saved for a person to look at (results/report-browser/, git-ignored).

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { chromium, type BrowserContext } from 'playwright-core';
import { buildReport, writeReport } from '../../reports';
import { ensureDebianPackages } from '../helpers/apt';
import { makeFixtureSource, MemorySource } from '../fixtures/results';

const CHROMIUM = '/usr/bin/chromium';
const SHOT_DIR = path.join(__dirname, '..', '..', 'results', 'report-browser');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function openReport(htmlFile: string, work: string): Promise<{ context: BrowserContext; errors: string[]; page: import('playwright-core').Page }> {
  const context = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(work, 'profile-')), {
    executablePath: CHROMIUM,
    args: ARGS,
    headless: true,
    viewport: { width: 1280, height: 900 },
  });
  const errors: string[] = [];
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
  await page.goto(pathToFileURL(htmlFile).href, { waitUntil: 'load' });
  return { context, errors, page };
}

describe('HTML report in headless Chromium', () => {
  let work: string;
  beforeAll(() => {
    if (!ensureDebianPackages(['chromium'], ['chromium'])) {
      throw new Error('Debian chromium is missing and apt-get could not install it (run as root with apt access, or `apt-get install chromium`)');
    }
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'clsrl-report-browser-'));
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test('fixture report: tables, charts, no console errors, screenshot', async () => {
    const source = makeFixtureSource({ n: 12 });
    const doc = buildReport(source, 'fixture');
    const tableIds = doc.sections.flatMap((s) => s.tables.map((t) => t.id));
    const chartIds = doc.sections.flatMap((s) => s.charts.map((c) => c.id));
    expect(tableIds.length).toBeGreaterThan(8);
    expect(chartIds.length).toBeGreaterThan(5);
    const out = path.join(work, 'report');
    await writeReport(source, { suite: 'fixture', outDir: out, formats: ['html'] });

    const { context, errors, page } = await openReport(path.join(out, 'report.html'), work);
    try {
      expect(await page.title()).toBe('clsrl report: fixture');
      const shownTables = await page.$$eval('table.report-table', (ts) => ts.map((t) => ({ id: t.getAttribute('data-table'), rows: t.querySelectorAll('tbody tr').length })));
      expect(shownTables.map((t) => t.id)).toEqual(tableIds);
      for (const t of shownTables) expect(t.rows).toBeGreaterThan(0);
      // Best values are visibly marked.
      expect(await page.$$eval('td.best', (cs) => cs.length)).toBeGreaterThan(10);

      const charts = await page.$$eval('figure.chart', (fs) => fs.map((f) => {
        const svg = f.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        return { id: f.getAttribute('data-chart'), w: box?.width ?? 0, h: box?.height ?? 0, marks: svg ? svg.querySelectorAll('path, rect, line, text').length : 0 };
      }));
      expect(charts.map((c) => c.id)).toEqual(chartIds);
      for (const c of charts) {
        expect({ id: c.id, drawn: c.w > 50 && c.h > 50 && c.marks > 10 }).toEqual({ id: c.id, drawn: true });
      }
      fs.mkdirSync(SHOT_DIR, { recursive: true });
      const shot = path.join(SHOT_DIR, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(fs.statSync(shot).size).toBeGreaterThan(10_000);
      process.stdout.write(`report screenshot: ${shot}\n`);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test('an empty DB opens as a page that says what is missing', async () => {
    const out = path.join(work, 'empty');
    await writeReport(new MemorySource(), { outDir: out, formats: ['html'] });
    const { context, errors, page } = await openReport(path.join(out, 'report.html'), work);
    try {
      expect(await page.textContent('#missing')).toMatch(/holds no runs/);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
