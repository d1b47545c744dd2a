import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/backend/index.js';
await useBackend('wasm');
const b = tf.backend() as any;
function time(name: string, f: () => void, n = 10) {
  for (let i = 0; i < 2; i++) f();
  const t = performance.now();
  for (let i = 0; i < n; i++) f();
  console.log(name.padEnd(40), ((performance.now() - t) / n).toFixed(2), 'ms');
}
const mm = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc;
const tr = tf.getKernel('Transpose', 'wasm')!.kernelFunc;
const dy = tf.randomNormal([1, 3136, 128]); const ft = tf.randomNormal([1, 128, 1024]);
let w = tf.randomNormal([1, 128, 1024]);
time('mm [3136,128]x[128,1024] const B', () => { const o = mm({ inputs: { a: dy, b: ft }, backend: b, attrs: {} }) as any; b.disposeData(o.dataId); });
time('mm [3136,128]x[128,1024] new B', () => { const w2 = tf.add(w, 0); const o = mm({ inputs: { a: dy, b: w2 }, backend: b, attrs: {} }) as any; b.disposeData(o.dataId); w2.dispose(); });
const cols = tf.randomNormal([3136, 1024]);
time('transpose [3136,1024]', () => { const o = tr({ inputs: { x: cols }, backend: b, attrs: { perm: [1, 0] } }) as any; b.disposeData(o.dataId); });
const heap = () => b.typedArrayFromHeap(cols) as Float32Array;
const out = new Float32Array(64 * 14 * 14 * 64);
time('js col2im-like add 3.2M', () => { const c = heap(); out.fill(0); for (let m = 0; m < 3136; m++) { for (let t = 0; t < 16; t++) { const d = ((m * 4 + t) % 12544) * 64; const p = m * 1024 + t * 64; for (let k = 0; k < 64; k++) out[d + k] += c[p + k]; } } });
time('js fill 800k', () => { out.fill(0); });
const colsT = tf.randomNormal([1, 1024, 3136]); const dyb = tf.randomNormal([1, 3136, 128]);
time('mm [1024,3136]x[3136,128] (filter grad)', () => { const d2 = tf.add(dyb, 0); const o = mm({ inputs: { a: colsT, b: d2 }, backend: b, attrs: {} }) as any; b.disposeData(o.dataId); d2.dispose(); });
time('mm [128,3136]x[3136,1024] (filter grad alt)', () => { const d2 = tf.add(cols, 0); const o = mm({ inputs: { a: tf.reshape(dyb,[1,128,3136]), b: d2 }, backend: b, attrs: {} }) as any; b.disposeData(o.dataId); d2.dispose(); });
time('tf.add 3.2M (copy cost)', () => { tf.add(cols, 0).dispose(); });
