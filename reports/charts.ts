// Vega-Lite chart specs for the report: grouped bars per dataset and method, transfer heatmaps,
// training curves (one panel per metric), efficiency bars and paper-vs-ours scatter. Specs only;
// render.ts turns them into SVG/PNG.

import type { TopLevelSpec } from 'vega-lite';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
const FONT = { font: 'Helvetica, Arial, sans-serif' };
const CONFIG = { view: { stroke: null }, axis: { labelFont: FONT.font, titleFont: FONT.font }, legend: { labelFont: FONT.font, titleFont: FONT.font, labelLimit: 240 }, title: FONT };

export interface BarDatum {
  dataset: string;
  method: string;
  value: number;
}

/** Grouped bars: one group per dataset (in `datasets` order), one bar per method. */
export function groupedBars(title: string, data: BarDatum[], datasets: string[], methods: string[], yTitle: string): TopLevelSpec {
  return {
    $schema: SCHEMA,
    title,
    data: { values: data },
    mark: { type: 'bar' },
    width: { step: Math.max(6, Math.min(18, Math.floor(60 / Math.max(1, methods.length)))) },
    height: 220,
    encoding: {
      x: { field: 'dataset', type: 'nominal', sort: datasets, title: null, axis: { labelAngle: -30, labelLimit: 200 } },
      xOffset: { field: 'method', type: 'nominal', sort: methods },
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: { domain: [0, 100] } },
      color: { field: 'method', type: 'nominal', sort: methods, title: 'method', scale: { scheme: 'tableau10' } },
      tooltip: [{ field: 'dataset' }, { field: 'method' }, { field: 'value', format: '.2f' }],
    },
    config: CONFIG,
  } as TopLevelSpec;
}

export interface CellDatum {
  train: string;
  test: string;
  value: number;
}

/** A (tuned on, tested on) heatmap with the value printed in each cell. */
export function heatmap(title: string, data: CellDatum[], rows: string[], cols: string[], diverging: boolean): TopLevelSpec {
  const maxAbs = Math.max(1, ...data.map((d) => Math.abs(d.value)));
  const color = diverging
    ? { scheme: 'redblue', domain: [-maxAbs, maxAbs] }
    : { scheme: 'blues', domain: [0, 100] };
  return {
    $schema: SCHEMA,
    title,
    data: { values: data.map((d) => ({ ...d, label: (diverging && d.value > 0 ? '+' : '') + d.value.toFixed(1) })) },
    width: { step: 44 },
    height: { step: 26 },
    encoding: {
      x: { field: 'test', type: 'nominal', sort: cols, title: 'tested on', axis: { labelAngle: -30, orient: 'top' } },
      y: { field: 'train', type: 'nominal', sort: rows, title: 'tuned on' },
    },
    layer: [
      { mark: { type: 'rect' }, encoding: { color: { field: 'value', type: 'quantitative', scale: color, title: diverging ? 'gain' : 'acc %' } } },
      {
        mark: { type: 'text', fontSize: 10 },
        encoding: {
          text: { field: 'label', type: 'nominal' },
          color: { condition: { test: `abs(datum.value - ${diverging ? 0 : 50}) > ${diverging ? maxAbs * 0.6 : 35}`, value: 'white' }, value: 'black' },
        },
      },
    ],
    config: CONFIG,
  } as TopLevelSpec;
}

export interface CurveDatum {
  step: number;
  metric: string;
  method: string;
  value: number;
}

/** Training curves: one small panel per metric (independent y), a line per method. */
export function curves(title: string, data: CurveDatum[], metrics: string[], methods: string[]): TopLevelSpec {
  return {
    $schema: SCHEMA,
    title,
    data: { values: data },
    facet: { field: 'metric', type: 'nominal', sort: metrics, title: null },
    columns: 3,
    spec: {
      width: 200,
      height: 120,
      mark: { type: 'line', point: data.length < 200 },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'step' },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: { field: 'method', type: 'nominal', sort: methods, scale: { scheme: 'tableau10' } },
        tooltip: [{ field: 'method' }, { field: 'metric' }, { field: 'step' }, { field: 'value', format: '.4g' }],
      },
    },
    resolve: { scale: { y: 'independent' } },
    config: CONFIG,
  } as TopLevelSpec;
}

export interface MethodValue {
  /** Bar label (method, maybe with its setting). */
  method: string;
  /** Colour group (the method). */
  group: string;
  measure: string;
  value: number;
}

/** Horizontal bars per method, one panel per measure (train minutes, tokens, eval minutes). */
export function methodBars(title: string, data: MethodValue[], methods: string[], measures: string[]): TopLevelSpec {
  const groups = [...new Set(data.map((d) => d.group))];
  return {
    $schema: SCHEMA,
    title,
    data: { values: data },
    facet: { field: 'measure', type: 'nominal', sort: measures, title: null },
    columns: 3,
    spec: {
      width: 180,
      height: { step: 18 },
      mark: { type: 'bar' },
      encoding: {
        y: { field: 'method', type: 'nominal', sort: methods, title: null, axis: { labelLimit: 260 } },
        x: { field: 'value', type: 'quantitative', title: null },
        color: { field: 'group', type: 'nominal', sort: groups, scale: { scheme: 'tableau10' }, legend: null },
        tooltip: [{ field: 'method' }, { field: 'measure' }, { field: 'value', format: ',.2f' }],
      },
    },
    resolve: { scale: { x: 'independent' } },
    config: CONFIG,
  } as TopLevelSpec;
}

export interface PaperPoint {
  label: string;
  method: string;
  paper: number;
  ours: number;
}

/** Ours (y) against the paper (x) with the identity line; points on the line reproduce the paper. */
export function paperScatter(title: string, data: PaperPoint[], methods: string[]): TopLevelSpec {
  return {
    $schema: SCHEMA,
    title,
    width: 300,
    height: 300,
    layer: [
      {
        data: { values: [{ x: 0, y: 0 }, { x: 100, y: 100 }] },
        mark: { type: 'line', color: '#999', strokeDash: [4, 4] },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values: data },
        mark: { type: 'point', filled: true, size: 50 },
        encoding: {
          x: { field: 'paper', type: 'quantitative', title: 'paper (%)', scale: { domain: [0, 100] } },
          y: { field: 'ours', type: 'quantitative', title: 'ours (%)', scale: { domain: [0, 100] } },
          color: { field: 'method', type: 'nominal', sort: methods, scale: { scheme: 'tableau10' } },
          tooltip: [{ field: 'label' }, { field: 'method' }, { field: 'paper' }, { field: 'ours', format: '.2f' }],
        },
      },
    ],
    config: CONFIG,
  } as TopLevelSpec;
}
