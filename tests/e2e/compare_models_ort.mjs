#!/usr/bin/env node
// Run a float model and its quantized version in onnxruntime-node on every sample folder of DATA_DIR and compare
// their outputs: the quantized model must stay within MAX_REL of the float output's range.
//
//   node tests/e2e/compare_models_ort.mjs FLOAT.onnx QUANT.onnx DATA_DIR [--max-rel 0.05]
//
// For each output: err = max |q - f| over all samples, range = max |f|; prints both and rel = err / range.
// Exit 1 (FAIL line) when any rel exceeds MAX_REL, or on any error.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openSession, parseArgs, runMain, runSampleFolder } from './ort_common.mjs';

runMain(async () => {
  const { pos, opts } = parseArgs(process.argv.slice(2), ['max-rel'], []);
  if (pos.length !== 3) throw new Error('usage: compare_models_ort.mjs FLOAT.onnx QUANT.onnx DATA_DIR [--max-rel R]');
  const maxRel = opts['max-rel'] === undefined ? 0.05 : Number(opts['max-rel']);
  const [floatPath, quantPath, dataDir] = pos;
  const fs = await openSession(floatPath);
  const qs = await openSession(quantPath);
  const dirs = readdirSync(dataDir).filter((d) => statSync(join(dataDir, d)).isDirectory()).sort();
  if (dirs.length === 0) throw new Error(`${dataDir}: no sample folders`);
  const err = {};
  const range = {};
  for (const d of dirs) {
    const fr = await runSampleFolder(fs, join(dataDir, d));
    const qr = await runSampleFolder(qs, join(dataDir, d));
    for (const name of fs.outputNames) {
      const f = fr[name];
      const q = qr[name];
      if (!q) throw new Error(`${quantPath}: output '${name}' missing`);
      if (f.dims.join(',') !== q.dims.join(',')) throw new Error(`output '${name}': shape [${q.dims}] != [${f.dims}]`);
      for (let i = 0; i < f.data.length; i++) {
        const fv = Number(f.data[i]);
        const e = Math.abs(Number(q.data[i]) - fv);
        err[name] = Math.max(err[name] || 0, Number.isNaN(e) ? Infinity : e);
        range[name] = Math.max(range[name] || 0, Math.abs(fv));
      }
    }
  }
  let ok = true;
  for (const name of fs.outputNames) {
    const rel = err[name] / Math.max(range[name], 1e-12);
    process.stdout.write(`${name}: samples=${dirs.length} max_abs_err=${err[name].toExponential(3)} ` +
                         `range=${range[name].toExponential(3)} rel=${rel.toFixed(5)}\n`);
    if (!(rel <= maxRel)) ok = false;
  }
  process.stdout.write(ok ? `PASS max_rel=${maxRel}\n` : `FAIL relative error above ${maxRel}\n`);
  return ok ? 0 : 1;
});
