#!/usr/bin/env node
// Compare onnxq's executor with onnxruntime on every sample folder of DATA_DIR.
//
//   node tests/e2e/compare_ours_ort.mjs MODEL.onnx DATA_DIR OURS_DIR [--atol 1e-4] [--rtol 1e-3]
//        [--allow-frac F --max-abs M] [--ort-opt disabled|basic|extended|all]
//
// DATA_DIR holds sample folders (one "<input name>.npy" per model input, as samples/*/calib/sample_NNN/); OURS_DIR
// holds one folder of the same name per sample with `onnxq run`'s outputs ("<output name>.npy", '/' and '\' in the
// name replaced by '_'). Runs the model under onnxruntime-node (graph optimization --ort-opt, default all) on each
// sample and compares every output element: |ours - ort| <= atol + rtol * |ort|.
// A quantized model may land on the other side of a rounding tie in some QuantizeLinear (float sums in another
// order), which moves an output by one quantization step: --allow-frac lets that fraction of an output's elements
// (over all samples) miss the tolerance, provided each stays within --max-abs.
// Prints per output the samples compared, the largest absolute error and its sample, and how many elements missed.
// Exit 0 when all is within bounds; 1 on a violation, a sample or output file missing on either side, a shape
// mismatch, or any error.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy } from './npy.mjs';
import { ort, parseArgs, runMain } from './ort_common.mjs';

const USAGE = 'usage: compare_ours_ort.mjs MODEL.onnx DATA_DIR OURS_DIR [--atol A] [--rtol R] ' +
              '[--allow-frac F --max-abs M] [--ort-opt LEVEL]';
const fileName = (name) => name.replace(/[/\\]/g, '_') + '.npy';
const folders = (dir) => readdirSync(dir).filter((d) => statSync(join(dir, d)).isDirectory()).sort();

function number(opts, key, dflt) {
  if (opts[key] === undefined) return dflt;
  const v = Number(opts[key]);
  if (!(v >= 0)) throw new Error(`bad --${key} '${opts[key]}'`);
  return v;
}

runMain(async () => {
  const { pos, opts } = parseArgs(process.argv.slice(2), ['atol', 'rtol', 'allow-frac', 'max-abs', 'ort-opt'], []);
  if (pos.length !== 3) throw new Error(USAGE);
  const [modelPath, dataDir, oursDir] = pos;
  const atol = number(opts, 'atol', 1e-4);
  const rtol = number(opts, 'rtol', 1e-3);
  const allowFrac = number(opts, 'allow-frac', 0);
  const maxAbs = number(opts, 'max-abs', Infinity);
  if (allowFrac > 0 && opts['max-abs'] === undefined) throw new Error('--allow-frac needs --max-abs');
  const level = opts['ort-opt'] === undefined ? 'all' : opts['ort-opt'];
  if (!['disabled', 'basic', 'extended', 'all'].includes(level)) throw new Error(`bad --ort-opt '${level}'`);

  const samples = folders(dataDir);
  if (samples.length === 0) throw new Error(`${dataDir}: no sample folders`);
  const ours = folders(oursDir);
  if (ours.join('/') !== samples.join('/')) {
    throw new Error(`${oursDir} has ${ours.length} sample folders, ${dataDir} has ${samples.length}: they must match`);
  }
  const session = await ort.InferenceSession.create(modelPath, {
    executionProviders: ['cpu'], graphOptimizationLevel: level, intraOpNumThreads: 1, interOpNumThreads: 1,
  });
  const stats = {};
  for (const name of session.outputNames) stats[name] = { samples: 0, n: 0, off: 0, maxAbs: 0, worst: '' };
  for (const s of samples) {
    const feeds = {};
    for (const name of session.inputNames) {
      const f = join(dataDir, s, fileName(name));
      if (!existsSync(f)) throw new Error(`${f}: missing (model input '${name}')`);
      const a = readNpy(f);
      feeds[name] = new ort.Tensor(a.dtype, a.data, a.shape);
    }
    const res = await session.run(feeds);
    for (const name of session.outputNames) {
      const t = res[name];
      const f = join(oursDir, s, fileName(name));
      if (!existsSync(f)) throw new Error(`${f}: missing (model output '${name}')`);
      const a = readNpy(f);
      const dims = t.dims.map(Number);
      if (a.shape.join(',') !== dims.join(',')) throw new Error(`${f}: shape [${a.shape}] != onnxruntime's [${dims}]`);
      const st = stats[name];
      for (let i = 0; i < a.data.length; i++) {
        const e = Number(t.data[i]);
        let d = Math.abs(Number(a.data[i]) - e);
        if (Number.isNaN(d)) d = Infinity;
        if (!(d <= atol + rtol * Math.abs(e))) st.off++;
        if (d > st.maxAbs) {
          st.maxAbs = d;
          st.worst = s;
        }
      }
      st.n += a.data.length;
      st.samples++;
    }
  }
  let ok = true;
  for (const name of session.outputNames) {
    const st = stats[name];
    const frac = st.off / Math.max(st.n, 1);
    process.stdout.write(`${name}: samples=${st.samples} elements=${st.n} max_abs_err=${st.maxAbs.toExponential(3)}` +
                         `${st.worst ? ` (${st.worst})` : ''} outside_tolerance=${st.off} (${frac.toFixed(4)})\n`);
    if (frac > allowFrac || !(st.maxAbs <= maxAbs) || (allowFrac === 0 && st.off > 0)) ok = false;
  }
  const bounds = `atol=${atol} rtol=${rtol}` + (allowFrac > 0 ? ` allow_frac=${allowFrac} max_abs=${maxAbs}` : '');
  process.stdout.write(ok ? `PASS ${bounds}\n` : `FAIL beyond ${bounds}\n`);
  return ok ? 0 : 1;
});
