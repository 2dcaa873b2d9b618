#!/usr/bin/env node
// onnxruntime-node latency of a quantized model relative to its float model, both sessions in one process with
// the runs interleaved (so load on the machine hits both alike).
//
//   node bench/quant_latency.mjs FLOAT.onnx QUANT.onnx SAMPLE_DIR [--threads N] [--warmup W] [--runs R]
//
// Session options as bench/bench_ort.mjs (CPU, graph optimization 'all', intraOpNumThreads N, sequential).
// Prints one JSON line: float and quantized median ms and ratio = quant median / float median.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy } from '../tests/e2e/npy.mjs';
import { ort, parseArgs, runMain } from '../tests/e2e/ort_common.mjs';

function median(a) {
  const s = [...a].sort((x, y) => x - y);
  const m = (s.length - 1) / 2;
  return (s[Math.floor(m)] + s[Math.ceil(m)]) / 2;
}

runMain(async () => {
  const { pos, opts } = parseArgs(process.argv.slice(2), ['threads', 'warmup', 'runs'], []);
  if (pos.length !== 3) throw new Error('usage: quant_latency.mjs FLOAT.onnx QUANT.onnx SAMPLE_DIR [--threads N]');
  const [fp, qp, dir] = pos;
  const threads = Number(opts.threads || 1);
  const warmup = Number(opts.warmup || 5);
  const runs = Number(opts.runs || 30);
  const so = { executionProviders: ['cpu'], graphOptimizationLevel: 'all', executionMode: 'sequential',
               intraOpNumThreads: threads, interOpNumThreads: 1 };
  const fs = await ort.InferenceSession.create(fp, so);
  const qs = await ort.InferenceSession.create(qp, so);
  const feeds = {};
  for (const name of fs.inputNames) {
    const f = join(dir, name.replace(/[^A-Za-z0-9._-]/g, '_') + '.npy');
    if (!existsSync(f)) throw new Error(`${dir}: no file for input '${name}'`);
    const a = readNpy(f);
    feeds[name] = new ort.Tensor(a.dtype, a.data, a.shape);
  }
  const tf = [];
  const tq = [];
  for (let i = 0; i < warmup + runs; i++) {
    for (const [s, t] of i % 2 ? [[fs, tf], [qs, tq]] : [[qs, tq], [fs, tf]]) {
      const t0 = process.hrtime.bigint();
      await s.run(feeds);
      const dt = Number(process.hrtime.bigint() - t0) / 1e6;
      if (i >= warmup) t.push(dt);
    }
  }
  const mf = median(tf);
  const mq = median(tq);
  process.stdout.write(JSON.stringify({ float: fp, quant: qp, threads, runs, float_ms: +mf.toFixed(4),
                                        quant_ms: +mq.toFixed(4), ratio: +(mq / mf).toFixed(3) }) + '\n');
  return 0;
});
