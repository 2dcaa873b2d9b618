#!/usr/bin/env node
// Accuracy of several quantized versions of one classifier under onnxruntime-node, in one process (the float model
// is run once).
//
//   node tests/quant/accuracy_many.mjs FLOAT.onnx IMAGES.npy LABELS.npy --max-drop D QUANT.onnx [QUANT.onnx ...]
//
// Prints one line per model (accuracy, drop in points, top-1 agreement with float) and exits 1 when any quantized
// model's accuracy is below float accuracy - D (or a model fails to load or run).
import { readNpy } from '../e2e/npy.mjs';
import { openSession, classify, argmax, labelsToNumbers, parseArgs, runMain } from '../e2e/ort_common.mjs';

runMain(async () => {
  const { pos, opts } = parseArgs(process.argv.slice(2), ['max-drop'], []);
  if (pos.length < 4) throw new Error('usage: accuracy_many.mjs FLOAT.onnx IMAGES.npy LABELS.npy --max-drop D QUANT...');
  const [floatPath, imagesPath, labelsPath, ...quants] = pos;
  const maxDrop = Number(opts['max-drop']);
  if (!Number.isFinite(maxDrop) || maxDrop < 0) throw new Error(`bad --max-drop '${opts['max-drop']}'`);
  const images = readNpy(imagesPath);
  const n = images.shape[0];
  const y = labelsToNumbers(readNpy(labelsPath), n, labelsPath);
  const fRows = await classify(await openSession(floatPath), images, floatPath);
  const fPred = fRows.map(argmax);
  const fAcc = fPred.filter((p, i) => p === y[i]).length / n;
  process.stdout.write(`float accuracy=${fAcc.toFixed(4)} n=${n} ${floatPath}\n`);
  let ok = true;
  for (const q of quants) {
    const qPred = (await classify(await openSession(q), images, q)).map(argmax);
    const qAcc = qPred.filter((p, i) => p === y[i]).length / n;
    const agree = qPred.filter((p, i) => p === fPred[i]).length / n;
    const pass = qAcc >= fAcc - maxDrop - 1e-12;
    ok = ok && pass;
    process.stdout.write(`${pass ? 'PASS' : 'FAIL'} accuracy=${qAcc.toFixed(4)} drop=${(100 * (fAcc - qAcc)).toFixed(1)}` +
                         ` points agreement=${agree.toFixed(4)} ${q}\n`);
  }
  return ok ? 0 : 1;
});
