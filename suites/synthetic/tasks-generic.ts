// Generic-object tasks (ImageNet-like and Caltech101-like) and the food-like task (Food101-like).
// Class identity lives in shape/colour/parts; position, scale, rotation, colour shade and background vary.

import { anyColour, background, colour, f, placed, placement, shape } from './draw';
import type { Rng } from './prng';
import { product, type SynthTask } from './task';

// ---------------------------------------------------------------------------------------------
// SynthObjects (ImageNet-like): 10 object shapes x 3 colours, names "red ball".

const OBJECT_SHAPES: Record<string, string> = {
  ball: 'circle',
  crate: 'square',
  tent: 'triangle',
  starfish: 'star',
  nut: 'hexagon',
  donut: 'ring',
  moon: 'crescent',
  kite: 'diamond',
  'arrow sign': 'arrow',
  'plus sign': 'cross',
};
const OBJECT_COLOURS = ['red', 'blue', 'yellow'] as const;
const objectRows = product({ object: Object.keys(OBJECT_SHAPES), colour: OBJECT_COLOURS });

export const synthObjects: SynthTask = {
  name: 'SynthObjects',
  folder: 'synth_objects',
  mirrors: 'ImageNet',
  questionPrefix: 'What type of object is in the photo?',
  noun: 'object',
  noise: 6,
  variation: 'position, size, rotation, colour shade, flat/gradient/cluttered background, pixel noise',
  classes: objectRows.map((a) => ({ name: `${a.colour} ${a.object}`, attrs: { colour: a.colour, shape: OBJECT_SHAPES[a.object] } })),
  draw(c, rng) {
    const a = this.classes[c].attrs;
    const p = placement(rng, { shift: 9, scale: [0.75, 1.2], rot: a.shape === 'arrow' || a.shape === 'crescent' ? 40 : 180 });
    const outline = rng.next() < 0.5 ? `stroke="${anyColour(rng, 5, 30)}" stroke-width="0.08"` : '';
    return background(rng, { clutter: 0.6 }) + placed(p, shape(a.shape, 0, 0, 15, 0, `fill="${colour(rng, a.colour)}" ${outline}`));
  },
  describe(c) {
    const a = this.classes[c].attrs;
    return `a ${a.colour} ${a.shape} shape`;
  },
};

// ---------------------------------------------------------------------------------------------
// SynthCaltech (Caltech101-like): 4 bodies x 6 attachments, names "winged_cone"; colours are nuisance.

const CALTECH_BODIES: Record<string, string> = { disc: 'circle', box: 'square', cone: 'triangle', gem: 'hexagon' };
const CALTECH_PARTS = ['stick', 'handle', 'cart', 'radio', 'winged', 'halo'] as const;
export const PART_WORDS: Record<string, string> = {
  stick: 'a stick below',
  handle: 'a handle on the side',
  cart: 'two wheels below',
  radio: 'an antenna on top',
  winged: 'wings on both sides',
  halo: 'a ring above',
};
const caltechRows = product({ part: CALTECH_PARTS, body: Object.keys(CALTECH_BODIES) });

export function caltechPart(part: string, ink: string): string {
  switch (part) {
    case 'stick':
      return `<rect x="-1.5" y="10" width="3" height="14" fill="${ink}"/>`;
    case 'handle':
      return `<path d="M11,-7 C22,-7 22,7 11,7" fill="none" stroke="${ink}" stroke-width="3.5"/>`;
    case 'cart':
      return `<circle cx="-8" cy="15" r="5" fill="${ink}"/><circle cx="8" cy="15" r="5" fill="${ink}"/>`;
    case 'radio':
      return `<line x1="0" y1="-10" x2="5" y2="-24" stroke="${ink}" stroke-width="2.5"/><circle cx="5" cy="-24" r="3" fill="${ink}"/>`;
    case 'winged':
      return `<polygon points="-10,0 -25,-9 -22,5" fill="${ink}"/><polygon points="10,0 25,-9 22,5" fill="${ink}"/>`;
    default:
      return `<ellipse cx="0" cy="-20" rx="10" ry="3.5" fill="none" stroke="${ink}" stroke-width="2.5"/>`;
  }
}

export const synthCaltech: SynthTask = {
  name: 'SynthCaltech',
  folder: 'synth_caltech',
  mirrors: 'Caltech101',
  questionPrefix: 'What type of object is in the photo?',
  noun: 'object',
  noise: 6,
  variation: 'position, size, small rotation, body and part colours random, background, pixel noise',
  classes: caltechRows.map((a) => ({ name: `${a.part}_${a.body}`, attrs: { body: CALTECH_BODIES[a.body], part: a.part } })),
  draw(c, rng) {
    const a = this.classes[c].attrs;
    const p = placement(rng, { shift: 5, scale: [0.8, 1.05], rot: 20 });
    const body = anyColour(rng, 30, 70, 80);
    const ink = anyColour(rng, 10, 35, 40);
    return background(rng, { clutter: 0.5, light: [55, 92] }) + placed(p, caltechPart(a.part, ink) + shape(a.body, 0, 0, 11, 0, `fill="${body}"`));
  },
  describe(c) {
    const a = this.classes[c].attrs;
    return `a ${a.body} with ${PART_WORDS[a.part]}`;
  },
};

// ---------------------------------------------------------------------------------------------
// SynthFood (Food101-like): 4 bases x 4 dish layouts on a plate, names "tomato_pizza".

const FOOD_BASES: Record<string, string> = { tomato: 'red', cream: 'cream', spinach: 'green', chocolate: 'brown' };
const FOOD_DISHES = ['pizza', 'tart', 'soup', 'roll'] as const;
const DISH_WORDS: Record<string, string> = {
  pizza: 'scattered round toppings',
  tart: 'slices cut like a wheel',
  soup: 'a bowl with a dark rim',
  roll: 'a spiral swirl',
};
const foodRows = product({ base: Object.keys(FOOD_BASES), dish: FOOD_DISHES });

function dish(kind: string, base: string, rng: Rng): string {
  const top = anyColour(rng, 15, 80, 70);
  switch (kind) {
    case 'pizza': {
      let s = `<circle r="18" fill="${base}"/>`;
      for (let i = 0; i < 7; i++) {
        const a = rng.range(0, 2 * Math.PI);
        const r = rng.range(3, 13);
        s += `<circle cx="${f(r * Math.cos(a))}" cy="${f(r * Math.sin(a))}" r="2.6" fill="${top}"/>`;
      }
      return s;
    }
    case 'tart': {
      let s = `<circle r="18" fill="${base}" stroke="${top}" stroke-width="2.5"/>`;
      const n = 6 + rng.int(3);
      for (let i = 0; i < n; i++) {
        const a = (2 * Math.PI * i) / n;
        s += `<line x1="0" y1="0" x2="${f(18 * Math.cos(a))}" y2="${f(18 * Math.sin(a))}" stroke="${top}" stroke-width="1.6"/>`;
      }
      return s;
    }
    case 'soup':
      return `<circle r="19" fill="${anyColour(rng, 15, 35, 30)}"/><circle r="14" fill="${base}"/><circle cx="${f(rng.range(-5, 5))}" cy="${f(rng.range(-5, 5))}" r="2" fill="${top}"/>`;
    default: {
      let d = 'M0,0';
      for (let t = 0.3; t < 6 * Math.PI; t += 0.3) {
        const r = 0.9 * t;
        d += ` L${f(r * Math.cos(t))},${f(r * Math.sin(t))}`;
      }
      return `<circle r="18" fill="${base}"/><path d="${d}" fill="none" stroke="${top}" stroke-width="2"/>`;
    }
  }
}

export const synthFood: SynthTask = {
  name: 'SynthFood',
  folder: 'synth_food',
  mirrors: 'Food101',
  questionPrefix: 'What type of object is in the photo?',
  noun: 'dish',
  noise: 7,
  variation: 'plate colour and position, topping colour and layout, rotation, table background, pixel noise',
  classes: foodRows.map((a) => ({ name: `${a.base}_${a.dish}`, attrs: { base: a.base, dish: a.dish } })),
  draw(c, rng) {
    const a = this.classes[c].attrs;
    const p = placement(rng, { shift: 5, scale: [0.85, 1.1], rot: 180 });
    const plate = `<circle r="25" fill="${anyColour(rng, 75, 97, 20)}"/>`;
    return background(rng, { clutter: 0.8, light: [20, 70] }) + placed(p, plate + dish(a.dish, colour(rng, FOOD_BASES[a.base], 1.3), rng));
  },
  describe(c) {
    const a = this.classes[c].attrs;
    return `a ${FOOD_BASES[a.base]} ${a.base} dish with ${DISH_WORDS[a.dish]}`;
  },
};
