// Shared helpers for the onnxruntime-node e2e scripts.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { readNpy } from './npy.mjs';

export { ort };

// Print "error: <msg>" on one line and exit 1.
export function fail(msg) {
  const line = String(msg && msg.message ? msg.message : msg).replace(/\s*\n\s*/g, ' ').trim();
  process.stderr.write(`error: ${line}\n`);
  process.exit(1);
}

// Run main() and turn any exception into a one-line error + exit 1.
export function runMain(main) {
  Promise.resolve()
    .then(main)
    .then((code) => process.exit(typeof code === 'number' ? code : 0))
    .catch((e) => fail(e));
}

export async function openSession(modelPath) {
  return ort.InferenceSession.create(modelPath, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
}

function metaOf(session, name, isInput) {
  const list = isInput ? session.inputMetadata : session.outputMetadata;
  if (!list) return null;
  return list.find((m) => m.name === name) || null;
}

// Tensor metadata for an input: { type, shape } or null when unknown.
export function inputMeta(session, name) {
  return metaOf(session, name, true);
}

// Batch dimension of the model's (single) input: a positive number when it is
// fixed, or null when it is symbolic/unknown (dynamic).
export function fixedBatch(session) {
  const m = inputMeta(session, session.inputNames[0]);
  if (!m || !m.isTensor || !m.shape || m.shape.length === 0) return null;
  const d = m.shape[0];
  return typeof d === 'number' && d > 0 ? d : null;
}

function checkInputType(session, name, npy, what) {
  const m = inputMeta(session, name);
  if (m && m.isTensor && m.type && m.type !== npy.dtype) {
    throw new Error(`${what}: model input '${name}' has type ${m.type} but the .npy holds ${npy.dtype}`);
  }
}

// Run a single-input classifier over all images; returns the first output's
// per-sample scores as an array of Float32Array/Array rows.
export async function classify(session, images, what) {
  if (session.inputNames.length !== 1) {
    throw new Error(`${what}: expected a model with exactly 1 input, got ${session.inputNames.length} (${session.inputNames.join(', ')})`);
  }
  const inName = session.inputNames[0];
  const outName = session.outputNames[0];
  checkInputType(session, inName, images, what);
  const n = images.shape[0];
  if (images.shape.length < 1 || n === 0) throw new Error(`${what}: images array is empty`);
  const per = images.data.length / n;
  const fixed = fixedBatch(session);
  let bs = fixed === null ? n : fixed;
  if (n % bs !== 0) {
    throw new Error(`${what}: model has fixed batch ${fixed}, which does not divide the ${n} images`);
  }
  const rows = [];
  for (let s = 0; s < n; s += bs) {
    const sub = images.data.subarray(s * per, (s + bs) * per);
    const t = new ort.Tensor(images.dtype, sub, [bs, ...images.shape.slice(1)]);
    const res = await session.run({ [inName]: t });
    const out = res[outName];
    if (!out) throw new Error(`${what}: output '${outName}' missing from results`);
    if (out.dims[0] !== bs) throw new Error(`${what}: output batch ${out.dims[0]} != input batch ${bs}`);
    const k = out.data.length / bs;
    for (let i = 0; i < bs; i++) {
      const row = new Array(k);
      for (let j = 0; j < k; j++) row[j] = Number(out.data[i * k + j]);
      rows.push(row);
    }
  }
  return rows;
}

export function argmax(row) {
  let best = 0;
  for (let j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
  return best;
}

export function labelsToNumbers(labels, n, what) {
  if (labels.shape.length !== 1) throw new Error(`${what}: labels must be 1-D, got shape [${labels.shape}]`);
  if (labels.shape[0] !== n) throw new Error(`${what}: ${labels.shape[0]} labels for ${n} images`);
  return Array.from(labels.data, (v) => Number(v));
}

// Parse "--name value" / "--name=value" / "--flag" options; returns { pos, opts }.
export function parseArgs(argv, valued = [], flags = []) {
  const pos = [];
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const key = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      if (valued.includes(key)) {
        if (eq >= 0) opts[key] = a.slice(eq + 1);
        else if (i + 1 < argv.length) opts[key] = argv[++i];
        else throw new Error(`option --${key} needs a value`);
      } else if (flags.includes(key) && eq < 0) {
        opts[key] = true;
      } else {
        throw new Error(`unknown option ${a}`);
      }
    } else {
      pos.push(a);
    }
  }
  return { pos, opts };
}

// Runs session on one sample folder (<sanitized input name>.npy per input, as onnxq writes them).
export async function runSampleFolder(session, dir) {
  const feeds = {};
  for (const name of session.inputNames) {
    const f = join(dir, name.replace(/[^A-Za-z0-9._-]/g, '_') + '.npy');
    if (!existsSync(f)) throw new Error(`${dir}: no file for model input '${name}'`);
    const a = readNpy(f);
    feeds[name] = new ort.Tensor(a.dtype, a.data, a.shape);
  }
  return session.run(feeds);
}
