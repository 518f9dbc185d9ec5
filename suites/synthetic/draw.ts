// SVG drawing kit of the synthetic world: palette with jitter, unit shapes, backgrounds and clutter,
// and the sharp renderer (SVG -> raw pixels + seeded noise -> PNG). Tasks compose these; all sizes are
// in a 64 x 64 canvas.

import sharp from 'sharp';
import type { Rng } from './prng';

export const SIZE = 64;

/** Base hues (HSL) of the named colours classes may depend on. */
export const PALETTE: Record<string, [number, number, number]> = {
  red: [2, 75, 48],
  orange: [28, 85, 52],
  yellow: [52, 85, 55],
  green: [120, 55, 38],
  teal: [175, 60, 38],
  blue: [218, 70, 48],
  purple: [280, 50, 45],
  pink: [330, 70, 70],
  brown: [25, 45, 30],
  black: [0, 0, 12],
  grey: [0, 0, 55],
  white: [0, 0, 94],
  cream: [42, 60, 82],
  ginger: [22, 80, 50],
};

/** A named colour with hue/saturation/lightness jitter (`amount` 1 = the default spread). */
export function colour(rng: Rng, name: string, amount = 1): string {
  const base = PALETTE[name];
  if (!base) throw new Error(`synthetic: unknown colour '${name}'`);
  const [h, s, l] = base;
  const hue = (h + rng.normal() * 5 * amount + 360) % 360;
  const sat = clamp(s + rng.normal() * 6 * amount, 0, 100);
  const light = clamp(l + rng.normal() * 5 * amount, 4, 97);
  return `hsl(${hue.toFixed(1)},${sat.toFixed(1)}%,${light.toFixed(1)}%)`;
}

/** A random colour not tied to any class (backgrounds, nuisance). */
export function anyColour(rng: Rng, lightLo = 15, lightHi = 85, satHi = 70): string {
  return `hsl(${rng.range(0, 360).toFixed(1)},${rng.range(5, satHi).toFixed(1)}%,${rng.range(lightLo, lightHi).toFixed(1)}%)`;
}

export function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

export function f(x: number): string {
  return x.toFixed(2);
}

/** Regular polygon / star vertices around (0, 0) with radius 1, first vertex up. */
export function polygon(n: number, inner = 0, rotate = 0): string {
  const pts: string[] = [];
  const k = inner > 0 ? 2 * n : n;
  for (let i = 0; i < k; i++) {
    const r = inner > 0 && i % 2 === 1 ? inner : 1;
    const a = -Math.PI / 2 + rotate + (2 * Math.PI * i) / k;
    pts.push(`${f(r * Math.cos(a))},${f(r * Math.sin(a))}`);
  }
  return pts.join(' ');
}

/** Unit shapes (radius ~1 around the origin); `fill` and `stroke` attributes are added by callers. */
export const SHAPES: Record<string, string> = {
  circle: '<circle r="1"/>',
  square: '<rect x="-0.85" y="-0.85" width="1.7" height="1.7"/>',
  triangle: `<polygon points="${polygon(3)}" transform="translate(0 0.15)"/>`,
  pentagon: `<polygon points="${polygon(5)}"/>`,
  hexagon: `<polygon points="${polygon(6)}"/>`,
  star: `<polygon points="${polygon(5, 0.45)}"/>`,
  diamond: '<polygon points="0,-1 0.62,0 0,1 -0.62,0"/>',
  cross: '<polygon points="-0.3,-1 0.3,-1 0.3,-0.3 1,-0.3 1,0.3 0.3,0.3 0.3,1 -0.3,1 -0.3,0.3 -1,0.3 -1,-0.3 -0.3,-0.3"/>',
  arrow: '<polygon points="-1,-0.3 0.2,-0.3 0.2,-0.75 1,0 0.2,0.75 0.2,0.3 -1,0.3"/>',
  crescent: '<path d="M0.2,-0.98 A1,1 0 1 0 0.2,0.98 A0.78,0.78 0 1 1 0.2,-0.98 Z"/>',
  ring: '<path fill-rule="evenodd" d="M-1,0 A1,1 0 1 0 1,0 A1,1 0 1 0 -1,0 Z M-0.55,0 A0.55,0.55 0 1 1 0.55,0 A0.55,0.55 0 1 1 -0.55,0 Z"/>',
};

/** A shape placed at (x, y) with radius r and rotation in degrees. */
export function shape(name: string, x: number, y: number, r: number, rotDeg: number, attrs: string): string {
  const body = SHAPES[name];
  if (!body) throw new Error(`synthetic: unknown shape '${name}'`);
  return `<g transform="translate(${f(x)} ${f(y)}) rotate(${f(rotDeg)}) scale(${f(r)})" ${attrs}>${body}</g>`;
}

/** Background kinds shared by object-centred tasks: flat, gradient, or flat with faint clutter. */
export function background(rng: Rng, opts: { clutter?: number; light?: [number, number] } = {}): string {
  const [lo, hi] = opts.light ?? [25, 90];
  const a = anyColour(rng, lo, hi, 45);
  const kind = rng.int(3);
  let out: string;
  if (kind === 0) {
    out = `<rect width="${SIZE}" height="${SIZE}" fill="${a}"/>`;
  } else {
    const b = anyColour(rng, lo, hi, 45);
    const id = `bg${rng.int(1e9)}`;
    const x2 = rng.next() < 0.5 ? 1 : 0;
    out =
      `<defs><linearGradient id="${id}" x1="0" y1="0" x2="${x2}" y2="${1 - x2}">` +
      `<stop offset="0" stop-color="${a}"/><stop offset="1" stop-color="${b}"/></linearGradient></defs>` +
      `<rect width="${SIZE}" height="${SIZE}" fill="url(#${id})"/>`;
  }
  const n = Math.round((opts.clutter ?? 0.5) * (kind === 2 ? 8 : 3));
  for (let i = 0; i < n; i++) out += clutterItem(rng);
  return out;
}

/** A faint distractor (small line, dot or square) that carries no class information. */
export function clutterItem(rng: Rng): string {
  const x = rng.range(0, SIZE);
  const y = rng.range(0, SIZE);
  const c = anyColour(rng, 20, 85, 50);
  const op = rng.range(0.25, 0.55).toFixed(2);
  switch (rng.int(3)) {
    case 0:
      return `<line x1="${f(x)}" y1="${f(y)}" x2="${f(x + rng.range(-10, 10))}" y2="${f(y + rng.range(-10, 10))}" stroke="${c}" stroke-width="1.2" opacity="${op}"/>`;
    case 1:
      return `<circle cx="${f(x)}" cy="${f(y)}" r="${f(rng.range(1, 3))}" fill="${c}" opacity="${op}"/>`;
    default:
      return `<rect x="${f(x)}" y="${f(y)}" width="${f(rng.range(2, 5))}" height="${f(rng.range(2, 5))}" fill="${c}" opacity="${op}"/>`;
  }
}

/** Nuisance placement of a centred object: jittered centre, scale and rotation. */
export interface Placement {
  x: number;
  y: number;
  s: number;
  rot: number;
}

export function placement(rng: Rng, opts: { shift?: number; scale?: [number, number]; rot?: number } = {}): Placement {
  const shift = opts.shift ?? 8;
  const [s0, s1] = opts.scale ?? [0.8, 1.15];
  return {
    x: SIZE / 2 + rng.range(-shift, shift),
    y: SIZE / 2 + rng.range(-shift, shift),
    s: rng.range(s0, s1),
    rot: rng.range(-(opts.rot ?? 0), opts.rot ?? 0),
  };
}

/** Wraps content drawn around the origin in the placement's transform. */
export function placed(p: Placement, content: string): string {
  return `<g transform="translate(${f(p.x)} ${f(p.y)}) rotate(${f(p.rot)}) scale(${f(p.s)})">${content}</g>`;
}

export function svgDoc(body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE}" height="${SIZE}" viewBox="0 0 ${SIZE} ${SIZE}">${body}</svg>`;
}

/**
 * Renders an SVG document to PNG bytes, adding per-pixel Gaussian-like noise of std `noise` (0-255
 * scale) from `rng`. Deterministic: same SVG and same rng stream give identical bytes.
 */
export async function renderPng(svg: string, rng: Rng, noise: number): Promise<Buffer> {
  const raw = await sharp(Buffer.from(svg), { density: 72 })
    .resize(SIZE, SIZE, { fit: 'fill' })
    .removeAlpha()
    .raw()
    .toBuffer();
  if (noise > 0) {
    for (let i = 0; i < raw.length; i++) raw[i] = clamp(Math.round(raw[i] + rng.normal() * noise), 0, 255);
  }
  return sharp(raw, { raw: { width: SIZE, height: SIZE, channels: 3 } })
    .png({ compressionLevel: 6, adaptiveFiltering: false })
    .toBuffer();
}
