#!/usr/bin/env node
// Compare a float model with its quantized version under onnxruntime-node.
//
//   node tests/e2e/compare_ort.mjs FLOAT.onnx QUANT.onnx IMAGES.npy LABELS.npy [--max-drop 0.01] [--max-rel R]
//        [--json]
//
// Prints float accuracy, quantized accuracy, top-1 agreement (fraction of
// images where both models predict the same class), the logits' relative
// error (max |quant - float| over all images and classes, divided by the
// largest |float|) and a PASS/FAIL line.
// Exit 0 on PASS; exit 1 on FAIL (quant_acc < float_acc - max_drop, or
// logits_rel > max_rel when --max-rel is given) or error.

import { readNpy } from './npy.mjs';
import { openSession, classify, argmax, labelsToNumbers, parseArgs, runMain } from './ort_common.mjs';

const USAGE = 'usage: node tests/e2e/compare_ort.mjs FLOAT.onnx QUANT.onnx IMAGES.npy LABELS.npy [--max-drop 0.01] ' +
              '[--max-rel R] [--json]';

runMain(async () => {
  const { pos, opts } = parseArgs(process.argv.slice(2), ['max-drop', 'max-rel'], ['json']);
  if (pos.length !== 4) throw new Error(USAGE);
  const [floatPath, quantPath, imagesPath, labelsPath] = pos;
  const maxDrop = opts['max-drop'] === undefined ? 0.01 : Number(opts['max-drop']);
  if (!Number.isFinite(maxDrop) || maxDrop < 0) throw new Error(`bad --max-drop '${opts['max-drop']}'`);
  const maxRel = opts['max-rel'] === undefined ? Infinity : Number(opts['max-rel']);
  if (!(maxRel >= 0)) throw new Error(`bad --max-rel '${opts['max-rel']}'`);
  const images = readNpy(imagesPath);
  const labels = readNpy(labelsPath);
  const n = images.shape[0];
  const y = labelsToNumbers(labels, n, labelsPath);

  const fRows = await classify(await openSession(floatPath), images, floatPath);
  const qRows = await classify(await openSession(quantPath), images, quantPath);
  let fOk = 0;
  let qOk = 0;
  let agree = 0;
  let maxErr = 0;
  let range = 0;
  for (let i = 0; i < n; i++) {
    if (fRows[i].length !== qRows[i].length) throw new Error(`image ${i}: ${qRows[i].length} logits, float ${fRows[i].length}`);
    for (let k = 0; k < fRows[i].length; k++) {
      const e = Math.abs(Number(qRows[i][k]) - Number(fRows[i][k]));
      maxErr = Math.max(maxErr, Number.isNaN(e) ? Infinity : e);
      range = Math.max(range, Math.abs(Number(fRows[i][k])));
    }
    const fp = argmax(fRows[i]);
    const qp = argmax(qRows[i]);
    if (fp === y[i]) fOk++;
    if (qp === y[i]) qOk++;
    if (fp === qp) agree++;
  }
  const fAcc = fOk / n;
  const qAcc = qOk / n;
  const agr = agree / n;
  const rel = maxErr / Math.max(range, 1e-12);
  // small epsilon so that a drop of exactly max_drop (e.g. 1/N) is not failed by rounding
  const accOk = qAcc >= fAcc - maxDrop - 1e-12;
  const relOk = rel <= maxRel;
  const pass = accOk && relOk;
  if (opts.json) {
    process.stdout.write(JSON.stringify({
      float_model: floatPath, quant_model: quantPath, n,
      float_accuracy: fAcc, quant_accuracy: qAcc, top1_agreement: agr,
      max_drop: maxDrop, logits_max_abs_err: maxErr, logits_range: range, logits_rel: rel,
      max_rel: Number.isFinite(maxRel) ? maxRel : null, pass,
    }) + '\n');
  } else {
    process.stdout.write(`float_accuracy=${fAcc.toFixed(6)} n=${n}\n`);
    process.stdout.write(`quant_accuracy=${qAcc.toFixed(6)} n=${n}\n`);
    process.stdout.write(`top1_agreement=${agr.toFixed(6)}\n`);
    process.stdout.write(`logits max_abs_err=${maxErr.toExponential(3)} range=${range.toExponential(3)} ` +
                         `rel=${rel.toFixed(5)}\n`);
    if (!accOk) {
      process.stdout.write(`FAIL quant accuracy ${qAcc.toFixed(6)} < float accuracy ${fAcc.toFixed(6)} - max_drop ${maxDrop}\n`);
    }
    if (!relOk) process.stdout.write(`FAIL logits relative error ${rel.toFixed(5)} > max_rel ${maxRel}\n`);
    if (pass) {
      process.stdout.write(`PASS drop=${(fAcc - qAcc).toFixed(6)} max_drop=${maxDrop}` +
                           `${Number.isFinite(maxRel) ? ` rel=${rel.toFixed(5)} max_rel=${maxRel}` : ''}\n`);
    }
  }
  return pass ? 0 : 1;
});
