// Renders Vega-Lite specs headless: vega-lite compiles to Vega, vega's View with renderer 'none'
// produces SVG text, sharp rasterises that SVG to PNG. No browser, no canvas package.

import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import sharp from 'sharp';
import { ClsrlError } from '../harness/errors';

export async function renderSvg(spec: TopLevelSpec, what: string): Promise<string> {
  try {
    const compiled = compile(spec).spec;
    const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
    const svg = await view.toSVG();
    view.finalize();
    return svg;
  } catch (cause) {
    throw new ClsrlError('RUN_FAILED', `could not render chart '${what}'`, { hint: 'the Vega-Lite spec is invalid; see the cause', cause });
  }
}

export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density: 72 * scale }).png().toBuffer();
}
