// The open vocabulary of pretraining recipe v4 (issue 15): SynthThings, 11 shapes x 14 colours x 7 parts =
// 1,078 concepts drawn like the generic tasks (shape, colour, an attached part), e.g. `winged teal star`.
// Pretraining only: no task, no train/val/test split, never in a suite. With the eleven tasks' 192 classes
// the model's vocabulary is 1,270 concepts, so most names it can say are not a task's labels, and its
// lists mostly hold names it has rarely answered.

import { background, colour, PALETTE, placed, placement, shape, SHAPES } from './draw';
import { product, type SynthTask } from './task';
import { caltechPart, PART_WORDS } from './tasks-generic';
import { anyColour } from './draw';

const PARTS = ['plain', 'stick', 'handle', 'cart', 'radio', 'winged', 'halo'] as const;
const rows = product({ colour: Object.keys(PALETTE), shape: Object.keys(SHAPES), part: PARTS });

export const synthThings: SynthTask = {
  name: 'SynthThings',
  folder: 'synth_things',
  mirrors: '(pretraining only)',
  questionPrefix: 'What type of object is in the photo?',
  noun: 'thing',
  noise: 6,
  variation: 'position, size, rotation, shade, part colour, background, pixel noise',
  classes: rows.map((a) => ({ name: `${a.part} ${a.colour} ${a.shape}`, attrs: { colour: a.colour, shape: a.shape, part: a.part } })),
  draw(c, rng) {
    const a = this.classes[c].attrs;
    const p = placement(rng, { shift: 5, scale: [0.8, 1.05], rot: 25 });
    const part = a.part === 'plain' ? '' : caltechPart(a.part, anyColour(rng, 10, 35, 40));
    return background(rng, { clutter: 0.5, light: [55, 92] }) + placed(p, part + shape(a.shape, 0, 0, 11, 0, `fill="${colour(rng, a.colour)}"`));
  },
  describe(c) {
    const a = this.classes[c].attrs;
    return `a ${a.colour} ${a.shape}${a.part === 'plain' ? '' : ` with ${PART_WORDS[a.part]}`}`;
  },
};
