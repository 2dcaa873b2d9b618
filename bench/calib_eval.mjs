#!/usr/bin/env node
// Fidelity of a quantized model to its float model in onnxruntime-node over sample folders (bench/calib_methods.sh):
// SQNR in dB of the first output (10 log10(sum f^2 / sum (q - f)^2) over all samples) and top-1 agreement.
//
//   node bench/calib_eval.mjs FLOAT.onnx QUANT.onnx DATA_DIR
// Prints "sqnr_db=<x> top1=<y>".
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy } from '../tests/e2e/npy.mjs';
import { ort, openSession, runMain } from '../tests/e2e/ort_common.mjs';

runMain(async () => {
  const [fp, qp, dir] = process.argv.slice(2);
  const f = await openSession(fp), q = await openSession(qp);
  let sig = 0, noise = 0, agree = 0, n = 0;
  for (const s of readdirSync(dir).sort()) {
    const a = readNpy(join(dir, s, 'input.npy'));
    const feeds = { [f.inputNames[0]]: new ort.Tensor(a.dtype, a.data, a.shape) };
    const fo = (await f.run(feeds))[f.outputNames[0]].data, qo = (await q.run(feeds))[q.outputNames[0]].data;
    let fa = 0, qa = 0;
    for (let i = 0; i < fo.length; i++) {
      sig += fo[i] * fo[i];
      noise += (qo[i] - fo[i]) ** 2;
      if (fo[i] > fo[fa]) fa = i;
      if (qo[i] > qo[qa]) qa = i;
    }
    agree += fa === qa;
    n++;
  }
  console.log(`sqnr_db=${(10 * Math.log10(sig / Math.max(noise, 1e-30))).toFixed(2)} top1=${(agree / n).toFixed(3)}`);
});
