// Fine-grained tasks (OxfordPets-, StanfordCars-, Flowers102- and FGVCAircraft-like): every class of a
// task shares one silhouette family and differs in small parts, so they are harder than generic objects.

import { anyColour, background, colour, f, placed, placement } from './draw';
import type { Rng } from './prng';
import { product, type SynthTask } from './task';

// ---------------------------------------------------------------------------------------------
// SynthPets (OxfordPets-like): ear type x coat colour x coat pattern, names "ginger_tabby_cat".

const PET_EARS: Record<string, string> = { cat: 'pointed', hamster: 'round', hound: 'floppy' };
const PET_COATS = ['ginger', 'black', 'cream'] as const;
const PET_PATTERNS = ['tabby', 'spotted'] as const;
const petRows = product({ coat: PET_COATS, pattern: PET_PATTERNS, species: Object.keys(PET_EARS) });

function pet(ears: string, coat: string, pattern: string, rng: Rng): string {
  const mark = coat === 'black' ? colour(rng, 'grey', 0.8) : colour(rng, 'brown', 0.8);
  const id = `pb${rng.int(1e9)}`;
  const head = '<circle cx="-15" cy="-9" r="9"/>';
  const earShapes: Record<string, string> = {
    pointed: '<polygon points="-23,-13 -21,-24 -15,-16"/><polygon points="-14,-17 -8,-24 -7,-12"/>',
    round: '<circle cx="-21" cy="-17" r="4"/><circle cx="-9" cy="-17" r="4"/>',
    floppy: '<ellipse cx="-24" cy="-5" rx="3" ry="7"/><ellipse cx="-6" cy="-5" rx="3" ry="7"/>',
  };
  let marks = '';
  if (pattern === 'tabby') {
    for (let x = -10; x <= 16; x += 5.5) marks += `<rect x="${f(x + rng.range(-1, 1))}" y="-12" width="2.2" height="24" fill="${mark}"/>`;
  } else {
    for (let i = 0; i < 6; i++) marks += `<circle cx="${f(rng.range(-10, 16))}" cy="${f(rng.range(-6, 6))}" r="2.3" fill="${mark}"/>`;
  }
  const fur = colour(rng, coat, 0.8);
  const legs = [-10, -4, 8, 14].map((x) => `<rect x="${x}" y="5" width="3" height="11"/>`).join('');
  return (
    `<defs><clipPath id="${id}"><ellipse cx="3" cy="0" rx="16" ry="9"/></clipPath></defs>` +
    `<g fill="${fur}">${legs}<path d="M18,-2 Q27,-6 26,-16" stroke="${fur}" stroke-width="3" fill="none"/>` +
    `<ellipse cx="3" cy="0" rx="16" ry="9"/>${earShapes[ears]}${head}</g>` +
    `<g clip-path="url(#${id})">${marks}</g>` +
    `<circle cx="-18" cy="-10" r="1.3" fill="#111"/><circle cx="-12" cy="-10" r="1.3" fill="#111"/>`
  );
}

export const synthPets: SynthTask = {
  name: 'SynthPets',
  folder: 'synth_pets',
  mirrors: 'OxfordPets',
  questionPrefix: 'What type of object is in the photo?',
  noun: 'pet',
  noise: 8,
  variation: 'position, size, mirror flip, fur shade, marking placement, cluttered background, pixel noise',
  classes: petRows.map((a) => ({ name: `${a.coat}_${a.pattern}_${a.species}`, attrs: { ears: PET_EARS[a.species], coat: a.coat, pattern: a.pattern } })),
  draw(c, rng) {
    const a = this.classes[c].attrs;
    const p = placement(rng, { shift: 6, scale: [0.85, 1.1], rot: 8 });
    const flip = rng.next() < 0.5 ? -1 : 1;
    return background(rng, { clutter: 1 }) + placed(p, `<g transform="scale(${flip} 1)">${pet(a.ears, a.coat, a.pattern, rng)}</g>`);
  },
  describe(c) {
    const a = this.classes[c].attrs;
    return `a ${a.coat} animal with ${a.ears} ears and ${a.pattern === 'tabby' ? 'striped' : 'spotted'} fur`;
  },
};

// ---------------------------------------------------------------------------------------------
// SynthCars (StanfordCars-like): year (wheel size) x make (spoiler or not) x body type, "2012 Velta Coupe".

const CAR_BODIES = ['Sedan', 'Hatchback', 'Pickup', 'Van', 'Coupe'] as const;
const CAR_MAKES: Record<string, string> = { Norvik: 'none', Velta: 'rear' };
const CAR_YEARS: Record<string, string> = { '2009': 'small', '2012': 'large' };
const carRows = product({ year: Object.keys(CAR_YEARS), make: Object.keys(CAR_MAKES), body: CAR_BODIES });

const CABINS: Record<string, string> = {
  Sedan: '-12,-6 -7,-14 8,-14 13,-6',
  Hatchback: '-10,-6 -6,-14 10,-14 18,-6',
  Pickup: '-16,-6 -13,-15 -2,-15 0,-6',
  Van: '-20,-6 -20,-19 15,-19 20,-6',
  Coupe: '-8,-6 -2,-12 6,-12 14,-6',
};

export const synthCars: SynthTask = {
  name: 'SynthCars',
  folder: 'synth_cars',
  mirrors: 'StanfordCars',
  questionPrefix: 'What type of object is in the photo?',
  noun: 'car',
  noise: 7,
  variation: 'paint colour random, position, size, mirror flip, road/background, pixel noise',
  classes: carRows.map((a) => ({ name: `${a.year} ${a.make} ${a.body}`, attrs: { body: a.body.toLowerCase(), spoiler: CAR_MAKES[a.make], wheels: CAR_YEARS[a.year] } })),
  draw(c, rng) {
    const a = this.classes[c].attrs;
    const body = a.body[0].toUpperCase() + a.body.slice(1);
    const paint = anyColour(rng, 25, 70, 85);
    const glass = anyColour(rng, 70, 90, 30);
    const wr = a.wheels === 'large' ? 5.2 : 3.4;
    // A dark wing ~5 px across at 32 px: in paint colour and 6 units wide it was invisible to the tiny model (v1).
    const spoiler = a.spoiler === 'none' ? '' : `<polygon points="15,-6 17,-15 27,-15 25,-6" fill="#1b1b1b"/>`;
    const car =
      `<polygon points="${CABINS[body]}" fill="${glass}" stroke="${paint}" stroke-width="2.2"/>` +
      `<rect x="-24" y="-7" width="48" height="10" rx="3" fill="${paint}"/>${spoiler}` +
      `<circle cx="-14" cy="4" r="${wr}" fill="#1b1b1b"/><circle cx="14" cy="4" r="${wr}" fill="#1b1b1b"/>` +
      `<circle cx="-14" cy="4" r="${f(wr * 0.4)}" fill="#aaa"/><circle cx="14" cy="4" r="${f(wr * 0.4)}" fill="#aaa"/>`;
    const p = placement(rng, { shift: 4, scale: [0.85, 1.05], rot: 4 });
    const flip = rng.next() < 0.5 ? -1 : 1;
    const road = `<rect y="${f(p.y + 6 * p.s)}" width="64" height="30" fill="${anyColour(rng, 20, 50, 10)}"/>`;
    return background(rng, { clutter: 0.5 }) + road + placed(p, `<g transform="scale(${flip} 1)">${car}</g>`);
  },
  describe(c) {
    const a = this.classes[c].attrs;
    return `a ${a.body} car with ${a.wheels} wheels and ${a.spoiler === 'none' ? 'no spoiler' : 'a rear spoiler'}`;
  },
};

// ---------------------------------------------------------------------------------------------
// SynthFlowers (Flowers102-like): petal count (genus) x petal colour x petal tip, "pink spiked aster".

const FLOWER_GENERA: Record<string, number> = { primrose: 5, daisy: 8, aster: 12 };
const FLOWER_COLOURS = ['pink', 'yellow', 'purple'] as const;
const FLOWER_TIPS = ['round', 'spiked'] as const;
const flowerRows = product({ colour: FLOWER_COLOURS, tip: FLOWER_TIPS, genus: Object.keys(FLOWER_GENERA) });

export const synthFlowers: SynthTask = {
  name: 'SynthFlowers',
  folder: 'synth_flowers',
  mirrors: 'Flowers102',
  questionPrefix: 'What type of object is in the photo?',
  noun: 'flower',
  noise: 7,
  variation: 'position, size, rotation, petal shade and length, centre colour, leafy background, pixel noise',
  classes: flowerRows.map((a) => ({
    name: a.tip === 'round' ? `${a.colour} ${a.genus}` : `${a.colour} spiked ${a.genus}`,
    attrs: { colour: a.colour, petals: String(FLOWER_GENERA[a.genus]), tips: a.tip === 'round' ? 'round' : 'pointed' },
  })),
  draw(c, rng) {
    const a = this.classes[c].attrs;
    const n = Number(a.petals);
    const len = rng.range(14, 18);
    const width = Math.min(5.5, (2 * Math.PI * 9) / n / 1.6);
    const petal =
      a.tips === 'round'
        ? `<ellipse cx="${f(len / 2 + 3)}" cy="0" rx="${f(len / 2)}" ry="${f(width)}"/>`
        : `<polygon points="3,${f(-width)} ${f(len + 4)},0 3,${f(width)}"/>`;
    let petals = '';
    for (let i = 0; i < n; i++) petals += `<g transform="rotate(${f((360 * i) / n)})">${petal}</g>`;
    let leaves = '';
    for (let i = 0; i < 5; i++) {
      leaves += `<ellipse cx="${f(rng.range(0, 64))}" cy="${f(rng.range(0, 64))}" rx="9" ry="3.5" transform="rotate(${f(rng.range(0, 180))})" fill="${colour(rng, 'green', 2)}" opacity="0.7"/>`;
    }
    const p = placement(rng, { shift: 6, scale: [0.85, 1.1], rot: 180 });
    const flower = `<g fill="${colour(rng, a.colour, 0.9)}">${petals}</g><circle r="4.5" fill="${colour(rng, rng.pick(['orange', 'brown', 'yellow']), 1)}"/>`;
    return background(rng, { clutter: 0.3, light: [20, 60] }) + leaves + placed(p, flower);
  },
  describe(c) {
    const a = this.classes[c].attrs;
    return `a ${a.colour} flower with ${a.petals} ${a.tips} petals`;
  },
};

// ---------------------------------------------------------------------------------------------
// SynthAircraft (FGVCAircraft-like): wing plan x engine count x tail fins, names "Delta-Wing 440".

const WINGS: Record<string, string> = { 'Straight-Wing': 'straight', 'Swept-Wing': 'swept', 'Delta-Wing': 'delta' };
const VARIANTS: Record<string, { engines: number; tail: string }> = {
  '200': { engines: 2, tail: 'single' },
  '220': { engines: 2, tail: 'twin' },
  '400': { engines: 4, tail: 'single' },
  '440': { engines: 4, tail: 'twin' },
};
const aircraftRows = product({ wing: Object.keys(WINGS), variant: Object.keys(VARIANTS) });

const WING_SHAPES: Record<string, string> = {
  straight: '-3,-26 4,-26 4,26 -3,26',
  swept: '-6,-4 8,-26 13,-26 4,-2 4,2 13,26 8,26 -6,4',
  delta: '-14,0 12,-24 16,-24 16,24 12,24',
};

function aircraft(wing: string, engines: number, tail: string, paint: string, fin: string): string {
  let s = `<polygon points="${WING_SHAPES[wing]}" fill="${paint}"/>`;
  s += `<ellipse cx="0" cy="0" rx="25" ry="3.6" fill="${paint}"/>`;
  const ys = engines === 2 ? [-11, 11] : [-8, -17, 8, 17];
  const ex = wing === 'straight' ? -4 : wing === 'swept' ? 1 : 4;
  for (const y of ys) s += `<rect x="${ex + Math.abs(y) * (wing === 'swept' ? 0.35 : 0)}" y="${y - 1.6}" width="7" height="3.2" rx="1.2" fill="#333"/>`;
  // Tail seen from above: the stabiliser, then the fins in a red livery accent so they read at 32 px
  // (v2 drew both tails as paint-coloured stabilisers of nearly the same outline and the model never told
  // them apart): one fin on the centre line, or two at the stabiliser tips.
  const tx = 19;
  s += `<polygon points="${tx},-1 ${tx + 4},-10 ${tx + 7},-10 ${tx + 6},0 ${tx + 7},10 ${tx + 4},10 ${tx},1" fill="${paint}"/>`;
  const fins = tail === 'twin' ? [-9, 9] : [0];
  for (const y of fins) s += `<rect x="${tx + 1}" y="${y - 1.8}" width="8" height="3.6" rx="1" fill="${fin}"/>`;
  return s;
}

export const synthAircraft: SynthTask = {
  name: 'SynthAircraft',
  folder: 'synth_aircraft',
  mirrors: 'FGVCAircraft',
  questionPrefix: 'What type of aircraft is in the photo?',
  noun: 'aircraft',
  noise: 7,
  variation: 'heading (within 35 degrees of nose-left), position, size, livery colour (never the sky\'s), sky colour, clouds, pixel noise',
  classes: aircraftRows.map((a) => ({ name: `${a.wing} ${a.variant}`, attrs: { wings: WINGS[a.wing], engines: String(VARIANTS[a.variant].engines), tail: VARIANTS[a.variant].tail } })),
  draw(c, rng) {
    const a = this.classes[c].attrs;
    // The livery never shares the sky's colour family (v2 allowed grey on grey and blue on blue), and the
    // heading stays within 35 degrees of nose-left as in side-on spotter photos (v2: any rotation).
    const skyName = rng.pick(['blue', 'teal', 'grey']);
    const paint = colour(rng, rng.pick(['white', 'grey', 'blue'].filter((n) => n !== skyName)), 1.5);
    const fin = colour(rng, 'red', 1.5);
    const p = placement(rng, { shift: 4, scale: [0.85, 1.05], rot: 35 });
    let clouds = '';
    for (let i = 0; i < 3; i++) clouds += `<ellipse cx="${f(rng.range(0, 64))}" cy="${f(rng.range(0, 64))}" rx="${f(rng.range(5, 12))}" ry="${f(rng.range(2, 5))}" fill="#fff" opacity="0.35"/>`;
    const sky = `<rect width="64" height="64" fill="${colour(rng, skyName, 2)}"/>`;
    return sky + clouds + placed(p, aircraft(a.wings, Number(a.engines), a.tail, paint, fin));
  },
  describe(c) {
    const a = this.classes[c].attrs;
    return `an aircraft with ${a.wings} wings, ${a.engines} engines and a ${a.tail} tail`;
  },
};

