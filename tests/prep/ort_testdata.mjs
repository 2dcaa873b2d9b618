#!/usr/bin/env node
// Runs converted ONNX backend test models in onnxruntime-node and compares their outputs with the expected outputs
// of the original (old-opset) test: the conversion must not change what the model computes.
//
//   node tests/prep/ort_testdata.mjs ROOT LIST [--skip FILE]
//
// LIST: one "<set>/<test>" per line ('#' starts a comment); ROOT/<set>/<test>/ holds model.onnx (converted) and the test's
// test_data_set_*/ folders (input_K.pb, output_K.pb, TensorProto). FILE: lines "<set>/<test> # reason" for tests
// onnxruntime cannot run (printed as skipped with the reason, never silently). Floating outputs must satisfy
// |got - want| <= atol + rtol * |want| (ONNX's backend defaults atol 1e-7, rtol 1e-3), others must be equal.
// Prints one line per test; exit 1 when any test fails.

import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ort, runMain } from '../e2e/ort_common.mjs';

// ---- a TensorProto reader (the fields the backend test data uses) ------------------------------------------------
function reader(buf) {
  let pos = 0;
  const varint = () => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new Error('truncated varint');
      const b = buf[pos++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  };
  return {
    eof: () => pos >= buf.length,
    varint,
    bytes: () => {
      const n = Number(varint());
      const s = buf.subarray(pos, pos + n);
      pos += n;
      return s;
    },
    skip: (wt) => {
      if (wt === 0) varint();
      else if (wt === 1) pos += 8;
      else if (wt === 5) pos += 4;
      else if (wt === 2) pos += Number(varint());
      else throw new Error(`wire type ${wt}`);
    },
    fixed: (n) => {
      const s = buf.subarray(pos, pos + n);
      pos += n;
      return s;
    },
  };
}

const TYPES = {
  1: ['float32', Float32Array, 4], 2: ['uint8', Uint8Array, 1], 3: ['int8', Int8Array, 1],
  4: ['uint16', Uint16Array, 2], 5: ['int16', Int16Array, 2], 6: ['int32', Int32Array, 4],
  7: ['int64', BigInt64Array, 8], 9: ['bool', Uint8Array, 1], 10: ['float16', Uint16Array, 2],
  11: ['float64', Float64Array, 8], 12: ['uint32', Uint32Array, 4], 13: ['uint64', BigUint64Array, 8],
};

function toSigned64(v) { return BigInt.asIntN(64, v); }

export function readTensor(path) {
  const r = reader(readFileSync(path));
  const dims = [];
  let dtype = 0;
  let name = '';
  let raw = null;
  const fl = [];
  const i32 = [];
  const i64 = [];
  const dbl = [];
  const u64 = [];
  const strs = [];
  while (!r.eof()) {
    const key = Number(r.varint());
    const f = key >> 3;
    const wt = key & 7;
    const packed = (each) => {
      if (wt === 2) {
        const sub = reader(r.bytes());
        while (!sub.eof()) each(sub);
      } else each(r);
    };
    if (f === 1) packed((s) => dims.push(Number(toSigned64(s.varint()))));
    else if (f === 2) dtype = Number(r.varint());
    else if (f === 4) packed((s) => fl.push(new DataView(Uint8Array.from(s.fixed(4)).buffer).getFloat32(0, true)));
    else if (f === 5) packed((s) => i32.push(Number(BigInt.asIntN(32, s.varint()))));
    else if (f === 6) strs.push(Buffer.from(r.bytes()).toString('utf8'));
    else if (f === 7) packed((s) => i64.push(toSigned64(s.varint())));
    else if (f === 8) name = Buffer.from(r.bytes()).toString('utf8');
    else if (f === 9) raw = Uint8Array.from(r.bytes());
    else if (f === 10) packed((s) => dbl.push(new DataView(Uint8Array.from(s.fixed(8)).buffer).getFloat64(0, true)));
    else if (f === 11) packed((s) => u64.push(s.varint()));
    else r.skip(wt);
  }
  const numel = dims.reduce((a, b) => a * b, 1);
  if (dtype === 8) return { name, tensor: new ort.Tensor('string', strs, dims) };
  const t = TYPES[dtype];
  if (!t) throw new Error(`${path}: element type ${dtype} not handled`);
  const [type, Arr, size] = t;
  let data;
  if (raw) {
    data = new Arr(raw.buffer, raw.byteOffset, raw.byteLength / size);
  } else {
    data = new Arr(numel);
    const src = dtype === 1 ? fl : dtype === 11 ? dbl : dtype === 7 ? i64 : dtype === 13 ? u64
      : dtype === 12 ? u64.map(Number) : i32;
    for (let i = 0; i < numel; i++) data[i] = src[i];
  }
  if (data.length !== numel) throw new Error(`${path}: ${data.length} elements for dims [${dims}]`);
  return { name, tensor: new ort.Tensor(type, data, dims) };
}

function halfToFloat(h) {
  const s = (h & 0x8000) ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

// Largest violation of the tolerance (0 = all within), or a string describing a structural mismatch.
function compare(got, want, atol, rtol) {
  if (got.type !== want.type) return `type ${got.type}, expected ${want.type}`;
  if (got.dims.join(',') !== want.dims.join(',')) return `shape [${got.dims}], expected [${want.dims}]`;
  const floating = ['float32', 'float64', 'float16'].includes(want.type);
  let worst = 0;
  for (let i = 0; i < want.data.length; i++) {
    let g = want.type === 'float16' ? halfToFloat(got.data[i]) : got.data[i];
    let w = want.type === 'float16' ? halfToFloat(want.data[i]) : want.data[i];
    if (!floating) {
      if (g !== w) return `element ${i}: ${g}, expected ${w}`;
      continue;
    }
    g = Number(g);
    w = Number(w);
    if (Number.isNaN(w) && Number.isNaN(g)) continue;
    if (!Number.isFinite(w) || !Number.isFinite(g)) {
      if (g !== w) return `element ${i}: ${g}, expected ${w}`;
      continue;
    }
    const excess = Math.abs(g - w) - (atol + rtol * Math.abs(w));
    if (excess > worst) worst = excess;
  }
  return worst;
}

async function runTest(dir) {
  const session = await ort.InferenceSession.create(join(dir, 'model.onnx'), {
    executionProviders: ['cpu'], graphOptimizationLevel: 'disabled', intraOpNumThreads: 1, interOpNumThreads: 1,
    logSeverityLevel: 4,
  });
  const sets = readdirSync(dir).filter((d) => d.startsWith('test_data_set_')).sort();
  if (!sets.length) throw new Error('no test_data_set_*');
  for (const s of sets) {
    const feeds = {};
    const inFiles = readdirSync(join(dir, s)).filter((f) => /^input_\d+\.pb$/.test(f));
    inFiles.sort((a, b) => Number(a.match(/\d+/)[0]) - Number(b.match(/\d+/)[0]));
    inFiles.forEach((f, k) => {
      const { name, tensor } = readTensor(join(dir, s, f));
      const key = session.inputNames.includes(name) ? name : session.inputNames[k];
      feeds[key] = tensor;
    });
    const res = await session.run(feeds);
    for (let k = 0; existsSync(join(dir, s, `output_${k}.pb`)); k++) {
      const { name, tensor } = readTensor(join(dir, s, `output_${k}.pb`));
      const key = session.outputNames.includes(name) ? name : session.outputNames[k];
      const got = res[key];
      if (!got) throw new Error(`${s}: output '${key}' missing`);
      const c = compare(got, tensor, 1e-7, 1e-3);
      if (typeof c === 'string') throw new Error(`${s}: output '${key}': ${c}`);
      if (c > 0) throw new Error(`${s}: output '${key}' off by ${c.toExponential(3)} beyond atol 1e-7 + rtol 1e-3`);
    }
  }
  return sets.length;
}

runMain(async () => {
  const args = process.argv.slice(2);
  const skipAt = args.indexOf('--skip');
  const skips = new Map();
  if (skipAt >= 0) {
    for (const line of readFileSync(args[skipAt + 1], 'utf8').split('\n')) {
      const m = line.match(/^\s*([^#\s]+)\s*#\s*(.+)$/);
      if (m) skips.set(m[1], m[2].trim());
    }
    args.splice(skipAt, 2);
  }
  if (args.length !== 2) throw new Error('usage: ort_testdata.mjs ROOT LIST [--skip FILE]');
  const [root, list] = args;
  const tests = readFileSync(list, 'utf8').split('\n').map((l) => l.split('#')[0].trim()).filter((l) => l);
  let failed = 0;
  let passed = 0;
  let skipped = 0;
  for (const t of tests) {
    if (skips.has(t)) {
      process.stdout.write(`SKIP ${t}: ${skips.get(t)}\n`);
      skipped++;
      continue;
    }
    try {
      const n = await runTest(join(root, t));
      process.stdout.write(`ok   ${t} (${n} data sets)\n`);
      passed++;
    } catch (e) {
      process.stdout.write(`FAIL ${t}: ${String(e.message || e).split('\n')[0]}\n`);
      failed++;
    }
  }
  process.stdout.write(`${passed} passed, ${failed} failed, ${skipped} skipped (onnxruntime cannot run them)\n`);
  return failed ? 1 : 0;
});
