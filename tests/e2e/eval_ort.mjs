#!/usr/bin/env node
// Accuracy of a single-input classifier under onnxruntime-node (CPU EP).
//
//   node tests/e2e/eval_ort.mjs MODEL.onnx IMAGES.npy LABELS.npy [--json]
//
// Prints "accuracy=<0..1> n=<count>" (or a JSON object with --json), exit 0.
// Any failure: one line "error: ..." on stderr, exit 1.
// Images are run as one batch when the model's batch dim is dynamic, else in
// chunks of the fixed batch size. Prediction = argmax of the first output.

import { readNpy } from './npy.mjs';
import { openSession, classify, argmax, labelsToNumbers, parseArgs, runMain } from './ort_common.mjs';

const USAGE = 'usage: node tests/e2e/eval_ort.mjs MODEL.onnx IMAGES.npy LABELS.npy [--json]';

runMain(async () => {
  const { pos, opts } = parseArgs(process.argv.slice(2), [], ['json']);
  if (pos.length !== 3) throw new Error(USAGE);
  const [modelPath, imagesPath, labelsPath] = pos;
  const images = readNpy(imagesPath);
  const labels = readNpy(labelsPath);
  const n = images.shape[0];
  const y = labelsToNumbers(labels, n, labelsPath);
  const session = await openSession(modelPath);
  const rows = await classify(session, images, modelPath);
  let correct = 0;
  for (let i = 0; i < n; i++) if (argmax(rows[i]) === y[i]) correct++;
  const acc = correct / n;
  if (opts.json) {
    process.stdout.write(JSON.stringify({ model: modelPath, accuracy: acc, n, correct }) + '\n');
  } else {
    process.stdout.write(`accuracy=${acc.toFixed(6)} n=${n}\n`);
  }
  return 0;
});
