// Full-frame surface tasks: textures (DTD-like) and satellite tiles (EuroSAT-like). Colours, scales and
// orientation are nuisance variation; the pattern or land-cover layout is the class.

import { SIZE, anyColour, colour, f } from './draw';
import type { Rng } from './prng';
import type { SynthTask } from './task';

// ---------------------------------------------------------------------------------------------
// SynthTextures (DTD-like): 16 pattern families, single-word names as in DTD.

const TEXTURE_WORDS: Record<string, string> = {
  banded: 'a few wide parallel bands',
  striped: 'many thin parallel stripes',
  zigzagged: 'zigzag lines',
  wavy: 'wavy lines',
  chequered: 'a checkerboard of squares',
  grid: 'thin crossing lines forming a grid',
  dotted: 'many small regular dots',
  'polka-dotted': 'a few large round dots',
  bubbly: 'outlined circles of many sizes',
  honeycombed: 'hexagonal cells',
  scaly: 'overlapping scales',
  spiralled: 'a spiral',
  blotchy: 'irregular blotches',
  cracked: 'thin random cracks',
  sprinkled: 'tiny scattered specks',
  woven: 'interlaced strips',
};

function textureBody(kind: string, ink: string, rng: Rng): string {
  const s = rng.range(0.85, 1.2);
  let out = '';
  const W = 96; // drawn beyond the canvas so rotation leaves no gaps
  switch (kind) {
    case 'banded':
      for (let y = -W; y < W; y += 16 * s) out += `<rect x="${-W}" y="${f(y)}" width="${2 * W}" height="${f(7 * s)}" fill="${ink}"/>`;
      break;
    case 'striped':
      for (let y = -W; y < W; y += 5 * s) out += `<rect x="${-W}" y="${f(y)}" width="${2 * W}" height="${f(1.8 * s)}" fill="${ink}"/>`;
      break;
    case 'zigzagged':
    case 'wavy':
      for (let y = -W; y < W; y += 9 * s) {
        let d = `M${-W},${f(y)}`;
        for (let x = -W; x <= W; x += 6 * s) {
          d += kind === 'zigzagged'
            ? ` L${f(x)},${f(y + ((Math.round(x / (6 * s)) & 1) === 0 ? -3 : 3) * s)}`
            : ` L${f(x)},${f(y + 3 * s * Math.sin(x / (4 * s)))}`;
        }
        out += `<path d="${d}" fill="none" stroke="${ink}" stroke-width="${f(2 * s)}"/>`;
      }
      break;
    case 'chequered':
      for (let y = -W, r = 0; y < W; y += 8 * s, r++)
        for (let x = -W + (r % 2) * 8 * s; x < W; x += 16 * s) out += `<rect x="${f(x)}" y="${f(y)}" width="${f(8 * s)}" height="${f(8 * s)}" fill="${ink}"/>`;
      break;
    case 'grid':
      for (let v = -W; v < W; v += 8 * s)
        out += `<rect x="${-W}" y="${f(v)}" width="${2 * W}" height="1.3" fill="${ink}"/><rect y="${-W}" x="${f(v)}" height="${2 * W}" width="1.3" fill="${ink}"/>`;
      break;
    case 'dotted':
    case 'polka-dotted': {
      const step = kind === 'dotted' ? 5 * s : 14 * s;
      const r = kind === 'dotted' ? 1.1 * s : 4.2 * s;
      for (let y = -W, row = 0; y < W; y += step, row++)
        for (let x = -W + (row % 2) * step * 0.5; x < W; x += step) out += `<circle cx="${f(x)}" cy="${f(y)}" r="${f(r)}" fill="${ink}"/>`;
      break;
    }
    case 'bubbly':
      for (let i = 0; i < 26; i++) out += `<circle cx="${f(rng.range(-40, 40))}" cy="${f(rng.range(-40, 40))}" r="${f(rng.range(2, 9))}" fill="none" stroke="${ink}" stroke-width="1.4"/>`;
      break;
    case 'honeycombed': {
      const r = 6 * s;
      for (let y = -W, row = 0; y < W; y += r * 1.5, row++)
        for (let x = -W + (row % 2) * r * 0.866; x < W; x += r * 1.732) {
          const pts = [0, 1, 2, 3, 4, 5].map((k) => `${f(x + r * Math.cos((Math.PI / 3) * k + Math.PI / 6))},${f(y + r * Math.sin((Math.PI / 3) * k + Math.PI / 6))}`);
          out += `<polygon points="${pts.join(' ')}" fill="none" stroke="${ink}" stroke-width="1.3"/>`;
        }
      break;
    }
    case 'scaly':
      for (let y = -W, row = 0; y < W; y += 5 * s, row++)
        for (let x = -W + (row % 2) * 5 * s; x < W; x += 10 * s) out += `<path d="M${f(x - 5 * s)},${f(y)} A${f(5 * s)},${f(5 * s)} 0 0 0 ${f(x + 5 * s)},${f(y)}" fill="none" stroke="${ink}" stroke-width="1.3"/>`;
      break;
    case 'spiralled': {
      let d = 'M0,0';
      for (let t = 0.2; t < 14 * Math.PI; t += 0.25) d += ` L${f(1.1 * s * t * Math.cos(t))},${f(1.1 * s * t * Math.sin(t))}`;
      out += `<path d="${d}" fill="none" stroke="${ink}" stroke-width="2.2"/>`;
      break;
    }
    case 'blotchy':
      for (let i = 0; i < 12; i++) out += `<ellipse cx="${f(rng.range(-40, 40))}" cy="${f(rng.range(-40, 40))}" rx="${f(rng.range(3, 10))}" ry="${f(rng.range(2, 7))}" transform="rotate(${f(rng.range(0, 180))})" fill="${ink}" opacity="0.8"/>`;
      break;
    case 'cracked':
      for (let i = 0; i < 9; i++) {
        let x = rng.range(-40, 40);
        let y = rng.range(-40, 40);
        let d = `M${f(x)},${f(y)}`;
        for (let k = 0; k < 6; k++) {
          x += rng.range(-9, 9);
          y += rng.range(-9, 9);
          d += ` L${f(x)},${f(y)}`;
        }
        out += `<path d="${d}" fill="none" stroke="${ink}" stroke-width="1"/>`;
      }
      break;
    case 'sprinkled':
      for (let i = 0; i < 90; i++) out += `<rect x="${f(rng.range(-40, 40))}" y="${f(rng.range(-40, 40))}" width="1.3" height="1.3" fill="${ink}"/>`;
      break;
    default: // woven
      for (let y = -W, r = 0; y < W; y += 6 * s, r++)
        for (let x = -W + (r % 2) * 6 * s; x < W; x += 12 * s) {
          out += `<rect x="${f(x)}" y="${f(y + 0.6)}" width="${f(10 * s)}" height="${f(4.5 * s)}" fill="${ink}"/>`;
          out += `<rect x="${f(x + 6 * s + 0.6)}" y="${f(y - 3 * s)}" width="${f(4.5 * s)}" height="${f(10 * s)}" fill="${ink}" opacity="0.6"/>`;
        }
  }
  return out;
}

export const synthTextures: SynthTask = {
  name: 'SynthTextures',
  folder: 'synth_textures',
  mirrors: 'DescribableTextures',
  questionPrefix: 'What type of texture is in the photo?',
  noun: 'texture',
  noise: 8,
  variation: 'two random colours, scale, orientation (any rotation), phase, pixel noise',
  classes: Object.keys(TEXTURE_WORDS).map((k) => ({ name: k, attrs: { pattern: k } })),
  draw(c, rng) {
    const kind = this.classes[c].name;
    // Ground and ink on opposite sides of mid-grey, so the pattern always shows at low resolution.
    const darkInk = rng.next() < 0.5;
    const ground = darkInk ? anyColour(rng, 60, 90, 70) : anyColour(rng, 12, 40, 70);
    const ink = darkInk ? anyColour(rng, 8, 35, 70) : anyColour(rng, 65, 95, 70);
    const rot = rng.range(0, 180);
    return `<rect width="${SIZE}" height="${SIZE}" fill="${ground}"/><g transform="translate(32 32) rotate(${f(rot)}) translate(${f(rng.range(-4, 4))} ${f(rng.range(-4, 4))})">${textureBody(kind, ink, rng)}</g>`;
  },
  describe(c) {
    return `a surface covered with ${TEXTURE_WORDS[this.classes[c].name]}`;
  },
};

// ---------------------------------------------------------------------------------------------
// SynthSat (EuroSAT-like): 10 land-cover tiles seen from above.

const SAT_CLASSES: Record<string, string> = {
  'Annual Crop Land': 'strips of crop fields',
  Forest: 'dense dark tree crowns',
  'Meadow Land': 'mottled light vegetation',
  'Highway or Road': 'a straight grey road',
  'Industrial Buildings': 'large grey halls',
  'Pasture Land': 'smooth plain grassland',
  'Orchard Land': 'rows of small round trees',
  'Residential Buildings': 'many small red roofs',
  River: 'a winding blue river',
  'Sea or Lake': 'open blue water and a shore',
};

function satTile(kind: string, rng: Rng): string {
  const green = (a = 1): string => colour(rng, 'green', a);
  const fill = (c: string): string => `<rect x="-48" y="-48" width="96" height="96" fill="${c}"/>`;
  let s = '';
  switch (kind) {
    case 'Annual Crop Land':
      s = fill(colour(rng, 'brown', 1.5));
      for (let y = -48; y < 48; y += 8) s += `<rect x="-48" y="${y}" width="96" height="${f(rng.range(3, 6))}" fill="${rng.next() < 0.5 ? green(2) : colour(rng, 'yellow', 2)}"/>`;
      return s;
    case 'Forest':
      s = fill(colour(rng, 'green', 0.5).replace(/,[\d.]+%\)$/, ',18%)'));
      for (let i = 0; i < 60; i++) s += `<circle cx="${f(rng.range(-40, 40))}" cy="${f(rng.range(-40, 40))}" r="${f(rng.range(2.5, 5))}" fill="${colour(rng, 'green', 1.2)}" opacity="0.8"/>`;
      return s;
    case 'Meadow Land':
      s = fill(colour(rng, 'yellow', 1.5));
      for (let i = 0; i < 40; i++) s += `<ellipse cx="${f(rng.range(-40, 40))}" cy="${f(rng.range(-40, 40))}" rx="${f(rng.range(2, 7))}" ry="${f(rng.range(1, 4))}" fill="${green(2)}" opacity="0.6"/>`;
      return s;
    case 'Highway or Road':
      return fill(green(2)) + `<rect x="-48" y="-4" width="96" height="8" fill="${colour(rng, 'grey', 1.5)}"/><rect x="-48" y="-0.5" width="96" height="1" fill="#eee" stroke-dasharray="3 3"/>`;
    case 'Industrial Buildings':
      s = fill(colour(rng, 'grey', 2));
      for (let i = 0; i < 5; i++) s += `<rect x="${f(rng.range(-36, 20))}" y="${f(rng.range(-36, 20))}" width="${f(rng.range(10, 20))}" height="${f(rng.range(8, 14))}" fill="${colour(rng, rng.pick(['white', 'grey']), 2)}" stroke="#333" stroke-width="0.6"/>`;
      return s;
    case 'Pasture Land':
      s = fill(green(1.2).replace(/,[\d.]+%\)$/, ',55%)'));
      for (let i = 0; i < 3; i++) s += `<circle cx="${f(rng.range(-30, 30))}" cy="${f(rng.range(-30, 30))}" r="1.4" fill="${colour(rng, 'green', 1)}"/>`;
      return s;
    case 'Orchard Land':
      s = fill(colour(rng, 'brown', 1.5).replace(/,[\d.]+%\)$/, ',45%)'));
      for (let y = -40; y < 40; y += 7) for (let x = -40; x < 40; x += 7) s += `<circle cx="${x}" cy="${y}" r="2.4" fill="${green()}"/>`;
      return s;
    case 'Residential Buildings':
      s = fill(colour(rng, 'grey', 2));
      for (let y = -40; y < 40; y += 10) for (let x = -40; x < 40; x += 9) s += `<rect x="${f(x + rng.range(0, 2))}" y="${f(y + rng.range(0, 2))}" width="5" height="5" fill="${colour(rng, 'red', 1.5)}"/>`;
      return s;
    case 'River': {
      let d = 'M-48,0';
      const a = rng.range(5, 12);
      for (let x = -48; x <= 48; x += 4) d += ` L${x},${f(a * Math.sin(x / 9 + rng.range(0, 0.3)))}`;
      return fill(green(2)) + `<path d="${d}" fill="none" stroke="${colour(rng, 'blue', 1.5)}" stroke-width="${f(rng.range(5, 8))}"/>`;
    }
    default: // Sea or Lake
      return fill(colour(rng, 'blue', 1.5)) + `<ellipse cx="${f(rng.range(30, 45))}" cy="0" rx="22" ry="60" fill="${rng.next() < 0.5 ? green(2) : colour(rng, 'cream', 2)}"/>`;
  }
}

export const synthSat: SynthTask = {
  name: 'SynthSat',
  folder: 'synth_sat',
  mirrors: 'EuroSAT',
  questionPrefix: 'What type of object is in the centered satellite photo?',
  noun: 'satellite tile',
  noise: 9,
  variation: 'orientation (any rotation), offsets, shades of land and water, element layout, pixel noise',
  classes: Object.keys(SAT_CLASSES).map((k) => ({ name: k, attrs: { cover: SAT_CLASSES[k] } })),
  draw(c, rng) {
    return `<g transform="translate(32 32) rotate(${f(rng.range(0, 360))})">${satTile(this.classes[c].name, rng)}</g>`;
  },
  describe(c) {
    return `land from above with ${SAT_CLASSES[this.classes[c].name]}`;
  },
};
