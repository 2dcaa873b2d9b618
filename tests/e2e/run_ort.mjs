#!/usr/bin/env node
// Run a model under onnxruntime-node on one sample folder.
//
//   node tests/e2e/run_ort.mjs MODEL.onnx SAMPLE_DIR OUT_DIR
//
// SAMPLE_DIR holds one "<input name>.npy" per model input (same layout as
// samples/*/calib/sample_NNN/). Every model output is written as
// OUT_DIR/<output name>.npy, converted to float32 ('<f4'). Characters '/' and
// '\' in output names are replaced by '_' in the file name.
// Prints one line per output: "<name> shape=[...] -> <file>". Exit 1 on error.

import { mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy, writeNpy } from './npy.mjs';
import { ort, openSession, inputMeta, runMain } from './ort_common.mjs';

const USAGE = 'usage: node tests/e2e/run_ort.mjs MODEL.onnx SAMPLE_DIR OUT_DIR';

const fileName = (name) => name.replace(/[/\\]/g, '_') + '.npy';

runMain(async () => {
  const args = process.argv.slice(2);
  if (args.length !== 3 || args.some((a) => a.startsWith('--'))) throw new Error(USAGE);
  const [modelPath, sampleDir, outDir] = args;
  const session = await openSession(modelPath);
  const feeds = {};
  for (const name of session.inputNames) {
    const f = join(sampleDir, fileName(name));
    if (!existsSync(f)) throw new Error(`${sampleDir}: no file for model input '${name}' (expected ${f})`);
    const a = readNpy(f);
    const m = inputMeta(session, name);
    if (m && m.isTensor && m.type && m.type !== a.dtype) {
      throw new Error(`${f}: model input '${name}' has type ${m.type} but the .npy holds ${a.dtype}`);
    }
    feeds[name] = new ort.Tensor(a.dtype, a.data, a.shape);
  }
  const res = await session.run(feeds);
  mkdirSync(outDir, { recursive: true });
  for (const name of session.outputNames) {
    const t = res[name];
    if (!t || typeof t.data === 'undefined' || typeof t.data.length !== 'number') {
      throw new Error(`output '${name}' is not a tensor with CPU data`);
    }
    const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data, (v) => Number(v));
    const f = join(outDir, fileName(name));
    writeNpy(f, '<f4', t.dims.map(Number), data);
    process.stdout.write(`${name} shape=[${t.dims.join(',')}] -> ${f}\n`);
  }
  return 0;
});
