// Session cache: sessions are built once per key, evicted beyond the LRU size, and a session evicted
// while another call is still running it is released only after that run.

import { Graph, add } from '../../harness/onnx';
import { ort } from '../../harness/onnx/ort';
import { Runtime } from '../../harness/engines/tiny/runtime';

const plus = (k: number) => (): Graph => {
  const g = new Graph('float32');
  g.output(add(g.input('x', [4]), g.scalar(k)), 'y');
  return g;
};

it('caches by key, evicts LRU, and never releases a session mid-run', async () => {
  const rt = new Runtime({ threads: 1, maxSessions: 1 });
  let builds = 0;
  const counted = (k: number) => () => {
    builds++;
    return plus(k)();
  };
  const x = { x: new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4]), [4]) };
  const runs = await Promise.all([1, 2, 3, 1].map((k) => rt.run(`score:${k}`, counted(k), x)));
  expect(runs.map((r) => Array.from(r.y.data as Float32Array)[0])).toEqual([2, 3, 4, 2]);
  expect(rt.keys().length).toBe(1);
  expect(builds).toBeGreaterThanOrEqual(3);
  const again = await rt.run('score:1', counted(1), x);
  expect((again.y.data as Float32Array)[3]).toBe(5);
  await rt.dispose();
  expect(rt.keys()).toEqual([]);
});
