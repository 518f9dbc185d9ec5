// Scene-like tasks: places (SUN397-like: ground x structures under a varying sky) and actions
// (UCF101-like: a stick figure's pose x the object it holds).

import { SIZE, anyColour, background, colour, f, placed, placement } from './draw';
import type { Rng } from './prng';
import { product, type SynthTask } from './task';

// ---------------------------------------------------------------------------------------------
// SynthScenes (SUN397-like): ground type x structure, SUN-style names ("outdoor cottage", "ski_resort").

const GROUNDS: Record<string, string> = { grass: 'green', sand: 'yellow', snow: 'white', water: 'blue' };
const STRUCTURES = ['none', 'trees', 'buildings', 'mountains'] as const;
const SCENE_NAMES: Record<string, string> = {
  'grass/none': 'meadow',
  'grass/trees': 'park',
  'grass/buildings': 'outdoor cottage',
  'grass/mountains': 'valley',
  'sand/none': 'desert sand',
  'sand/trees': 'oasis',
  'sand/buildings': 'outdoor bazaar',
  'sand/mountains': 'butte',
  'snow/none': 'snowfield',
  'snow/trees': 'snowy forest_path',
  'snow/buildings': 'ski_resort',
  'snow/mountains': 'glacier',
  'water/none': 'natural lake',
  'water/trees': 'swamp',
  'water/buildings': 'harbor',
  'water/mountains': 'fjord',
};
const sceneRows = product({ ground: Object.keys(GROUNDS), structure: STRUCTURES });

function structures(kind: string, horizon: number, rng: Rng): string {
  let s = '';
  if (kind === 'trees') {
    for (let i = 0; i < 5; i++) {
      const x = rng.range(2, 62);
      const h = rng.range(8, 16);
      s += `<rect x="${f(x - 1)}" y="${f(horizon - 3)}" width="2" height="6" fill="#4a3020"/><polygon points="${f(x - 5)},${f(horizon)} ${f(x)},${f(horizon - h)} ${f(x + 5)},${f(horizon)}" fill="${colour(rng, 'green', 1.5)}"/>`;
    }
  } else if (kind === 'buildings') {
    for (let i = 0; i < 3; i++) {
      const x = rng.range(0, 50);
      const h = rng.range(10, 22);
      const w = rng.range(9, 14);
      s += `<rect x="${f(x)}" y="${f(horizon - h)}" width="${f(w)}" height="${f(h + 2)}" fill="${anyColour(rng, 30, 75, 40)}"/>`;
      for (let wy = horizon - h + 3; wy < horizon - 2; wy += 5) s += `<rect x="${f(x + 2)}" y="${f(wy)}" width="${f(w - 4)}" height="1.6" fill="#ffd"/>`;
    }
  } else if (kind === 'mountains') {
    let pts = `0,${f(horizon)}`;
    for (let x = 0; x <= 64; x += 16) pts += ` ${f(x + rng.range(4, 12))},${f(horizon - rng.range(16, 28))} ${f(x + 16)},${f(horizon - rng.range(0, 6))}`;
    pts += ` 64,${f(horizon)}`;
    s += `<polygon points="${pts}" fill="${colour(rng, 'grey', 2)}"/>`;
  }
  return s;
}

export const synthScenes: SynthTask = {
  name: 'SynthScenes',
  folder: 'synth_scenes',
  mirrors: 'SUN397',
  questionPrefix: 'What type of object is in the photo?',
  noun: 'scene',
  noise: 8,
  variation: 'sky (day, dusk, night), horizon height, structure count/placement/colours, ground shade, pixel noise',
  classes: sceneRows.map((a) => ({ name: SCENE_NAMES[`${a.ground}/${a.structure}`], attrs: { ground: a.ground, structures: a.structure === 'none' ? 'nothing' : a.structure } })),
  draw(c, rng) {
    const a = this.classes[c].attrs;
    const sky = colour(rng, rng.pick(['blue', 'orange', 'purple', 'teal']), 2);
    const horizon = rng.range(28, 42);
    const ground = colour(rng, GROUNDS[a.ground], 1.5);
    let s = `<rect width="${SIZE}" height="${SIZE}" fill="${sky}"/>`;
    s += `<circle cx="${f(rng.range(5, 59))}" cy="${f(rng.range(5, 16))}" r="${f(rng.range(2.5, 5))}" fill="${colour(rng, rng.pick(['yellow', 'white']), 1)}"/>`;
    s += structures(a.structures, horizon, rng);
    s += `<rect y="${f(horizon)}" width="${SIZE}" height="${f(SIZE - horizon)}" fill="${ground}"/>`;
    if (a.ground === 'water') for (let i = 0; i < 4; i++) s += `<rect x="${f(rng.range(0, 56))}" y="${f(rng.range(horizon + 3, 62))}" width="8" height="1" fill="#fff" opacity="0.5"/>`;
    return s;
  },
  describe(c) {
    const a = this.classes[c].attrs;
    return `a place with ${a.ground} ground and ${a.structures} on the horizon`;
  },
};

// ---------------------------------------------------------------------------------------------
// SynthActions (UCF101-like): stick-figure pose x held object, UCF-style names ("Pole_Vault").

const POSES = ['arms out', 'arms up', 'crouching', 'running'] as const;
const PROPS = ['nothing', 'ball', 'pole'] as const;
const ACTION_NAMES: Record<string, string> = {
  'arms out/nothing': 'Tai_Chi',
  'arms out/ball': 'Juggling_Balls',
  'arms out/pole': 'Tightrope_Walking',
  'arms up/nothing': 'Jumping_Jack',
  'arms up/ball': 'Volleyball_Spiking',
  'arms up/pole': 'Pull_Ups',
  'crouching/nothing': 'Body_Weight_Squats',
  'crouching/ball': 'Bowling',
  'crouching/pole': 'Rowing',
  'running/nothing': 'Long_Jump',
  'running/ball': 'Soccer_Dribbling',
  'running/pole': 'Pole_Vault',
};
const actionRows = product({ pose: POSES, prop: PROPS });

/** Joint positions (figure ~40 px tall around the origin) for a pose: [shoulder, hands..., hip, feet...]. */
function figure(pose: string, prop: string, ink: string, propInk: string, rng: Rng): string {
  const j = (): number => rng.range(-1.5, 1.5);
  let hip = [0, 6];
  let head = [0, -15];
  let hands: number[][];
  let feet: number[][];
  switch (pose) {
    case 'arms out':
      hands = [[-15 + j(), -6 + j()], [15 + j(), -6 + j()]];
      feet = [[-5, 20], [5, 20]];
      break;
    case 'arms up':
      hands = [[-9 + j(), -24 + j()], [9 + j(), -24 + j()]];
      feet = [[-9, 20], [9, 20]];
      break;
    case 'crouching':
      hip = [0, 12];
      head = [0, -8];
      hands = [[-8 + j(), 6 + j()], [9 + j(), 6 + j()]];
      feet = [[-9, 20], [9, 20]];
      break;
    default: // running: leaning, legs apart
      head = [5, -15];
      hands = [[-10 + j(), 0 + j()], [14 + j(), -10 + j()]];
      feet = [[-12, 19], [12, 17]];
  }
  const sh = [head[0] * 0.8, head[1] + 7];
  const line = (a: number[], b: number[]): string => `<line x1="${f(a[0])}" y1="${f(a[1])}" x2="${f(b[0])}" y2="${f(b[1])}"/>`;
  let s = `<g stroke="${ink}" stroke-width="3" stroke-linecap="round">${line(sh, hip)}`;
  for (const h of hands) s += line(sh, h);
  for (const ft of feet) s += line(hip, ft);
  s += `</g><circle cx="${f(head[0])}" cy="${f(head[1])}" r="4.5" fill="${ink}"/>`;
  const [h0, h1] = hands;
  if (prop === 'ball') {
    const hb = pose === 'crouching' ? [h1[0] + 5, h1[1] + 4] : pose === 'running' ? [h0[0] - 3, 20] : [h1[0] + 1, h1[1] - 6];
    s += `<circle cx="${f(hb[0])}" cy="${f(hb[1])}" r="4" fill="${propInk}"/>`;
  } else if (prop === 'pole') {
    const dx = h1[0] - h0[0];
    const dy = h1[1] - h0[1];
    s += `<line x1="${f(h0[0] - dx * 0.5)}" y1="${f(h0[1] - dy * 0.5)}" x2="${f(h1[0] + dx * 0.5)}" y2="${f(h1[1] + dy * 0.5)}" stroke="${propInk}" stroke-width="2.2"/>`;
  }
  return s;
}

export const synthActions: SynthTask = {
  name: 'SynthActions',
  folder: 'synth_actions',
  mirrors: 'UCF101',
  questionPrefix: 'What actions is the person performing in the photo?',
  noun: 'action',
  noise: 7,
  variation: 'position, size, mirror flip, limb jitter, figure and prop colours, background, pixel noise',
  classes: actionRows.map((a) => ({ name: ACTION_NAMES[`${a.pose}/${a.prop}`], attrs: { pose: a.pose, holding: a.prop } })),
  draw(c, rng) {
    const a = this.classes[c].attrs;
    const ink = anyColour(rng, 5, 30, 50);
    const propInk = colour(rng, rng.pick(['red', 'orange', 'blue', 'yellow']), 1.5);
    const p = placement(rng, { shift: 5, scale: [0.85, 1.1], rot: 6 });
    const flip = rng.next() < 0.5 ? -1 : 1;
    return background(rng, { clutter: 0.6, light: [55, 95] }) + placed(p, `<g transform="scale(${flip} 1)">${figure(a.pose, a.holding, ink, propInk, rng)}</g>`);
  },
  describe(c) {
    const a = this.classes[c].attrs;
    return `a person with ${a.pose} holding ${a.holding === 'nothing' ? 'nothing' : `a ${a.holding}`}`;
  },
};
