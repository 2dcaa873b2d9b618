#!/usr/bin/env node
// Times onnxruntime-node on one sample folder; the counterpart of onnxq_bench's exec mode.
//
//   node bench/bench_ort.mjs MODEL.onnx SAMPLE_DIR [--threads N] [--warmup W] [--runs R]
//
// Session: CPU provider, graphOptimizationLevel 'all', intraOpNumThreads N, interOpNumThreads 1, sequential
// execution. SAMPLE_DIR holds one "<input name>.npy" per model input (as for `onnxq run --inputs`). W untimed
// runs, then R runs each timed with process.hrtime around `await session.run(feeds)` (this includes the
// JS <-> native binding and promise overhead, a few microseconds to tens of microseconds per call; the 'identity'
// model in bench/run.sh shows that floor). Prints one JSON line with median / p10 / p90 in milliseconds,
// quantiles interpolated linearly exactly like bench_exec.c.
//
// onnxruntime-node is resolved from tests/e2e/node_modules through the e2e helpers
// ((cd tests/e2e && npm ci) installs it).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy } from '../tests/e2e/npy.mjs';
import { ort, inputMeta, parseArgs, runMain } from '../tests/e2e/ort_common.mjs';

const USAGE = 'usage: node bench/bench_ort.mjs MODEL.onnx SAMPLE_DIR [--threads N] [--warmup W] [--runs R]';

function intOpt(opts, key, dflt, lo) {
  if (opts[key] === undefined) return dflt;
  const v = Number(opts[key]);
  if (!Number.isInteger(v) || v < lo) throw new Error(`--${key} needs an integer >= ${lo}`);
  return v;
}

// Same rule as bench_exec.c's quantile(): linear interpolation on the sorted values.
function quantile(sorted, q) {
  const n = sorted.length;
  if (n === 0) return 0;
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  if (lo >= n - 1) return sorted[n - 1];
  return sorted[lo] + (sorted[lo + 1] - sorted[lo]) * (pos - lo);
}

runMain(async () => {
  const { pos, opts } = parseArgs(process.argv.slice(2), ['threads', 'warmup', 'runs'], []);
  if (pos.length !== 2) throw new Error(USAGE);
  const [modelPath, sampleDir] = pos;
  const threads = intOpt(opts, 'threads', 1, 1);
  const warmup = intOpt(opts, 'warmup', 5, 0);
  const runs = intOpt(opts, 'runs', 50, 1);

  const session = await ort.InferenceSession.create(modelPath, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  const feeds = {};
  for (const name of session.inputNames) {
    const f = join(sampleDir, name.replace(/[/\\]/g, '_') + '.npy');
    if (!existsSync(f)) throw new Error(`${sampleDir}: no file for model input '${name}' (expected ${f})`);
    const a = readNpy(f);
    const m = inputMeta(session, name);
    if (m && m.isTensor && m.type && m.type !== a.dtype) {
      throw new Error(`${f}: model input '${name}' has type ${m.type} but the .npy holds ${a.dtype}`);
    }
    feeds[name] = new ort.Tensor(a.dtype, a.data, a.shape);
  }

  const ms = [];
  const cms = []; // process CPU time (user + system, all threads), like onnxq_bench's cpu_median_ms
  for (let i = 0; i < warmup + runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const res = await session.run(feeds);
    const t1 = process.hrtime.bigint();
    const c1 = process.cpuUsage(c0);
    if (!res || Object.keys(res).length === 0) throw new Error(`${modelPath}: run returned no outputs`);
    if (i >= warmup) {
      ms.push(Number(t1 - t0) / 1e6);
      cms.push((c1.user + c1.system) / 1e3);
    }
  }
  ms.sort((x, y) => x - y);
  cms.sort((x, y) => x - y);
  const r6 = (x) => Math.round(x * 1e6) / 1e6;
  process.stdout.write(JSON.stringify({
    impl: 'onnxruntime', version: ort.env.versions ? ort.env.versions.common : undefined, mode: 'exec',
    model: modelPath, threads, warmup, runs,
    median_ms: r6(quantile(ms, 0.5)), p10_ms: r6(quantile(ms, 0.1)), p90_ms: r6(quantile(ms, 0.9)), min_ms: r6(ms[0]),
    cpu_median_ms: r6(quantile(cms, 0.5)),
  }) + '\n');
  return 0;
});
