#!/usr/bin/env node
// Output SQNR of a quantized model against its float model in onnxruntime-node, over every sample folder of a
// data directory: 10 log10(sum f^2 / sum (q - f)^2) over all outputs' elements of all samples.
//
//   node tests/quant/sqnr_ort.mjs FLOAT.onnx QUANT.onnx DATA_DIR [--min-db D]
//
// Prints "sqnr_db=<x> samples=<n>" and, with --min-db, PASS/FAIL (exit 1 below the floor).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openSession, parseArgs, runMain, runSampleFolder } from '../e2e/ort_common.mjs';

runMain(async () => {
  const { pos, opts } = parseArgs(process.argv.slice(2), ['min-db'], []);
  if (pos.length !== 3) throw new Error('usage: sqnr_ort.mjs FLOAT.onnx QUANT.onnx DATA_DIR [--min-db D]');
  const [floatPath, quantPath, dataDir] = pos;
  const fs = await openSession(floatPath);
  const qs = await openSession(quantPath);
  const dirs = readdirSync(dataDir).filter((d) => statSync(join(dataDir, d)).isDirectory()).sort();
  if (dirs.length === 0) throw new Error(`${dataDir}: no sample folders`);
  let sig = 0;
  let noise = 0;
  for (const d of dirs) {
    const fr = await runSampleFolder(fs, join(dataDir, d));
    const qr = await runSampleFolder(qs, join(dataDir, d));
    for (const name of fs.outputNames) {
      const f = fr[name].data;
      const q = qr[name] && qr[name].data;
      if (!q || q.length !== f.length) throw new Error(`${quantPath}: output '${name}' missing or of another size`);
      for (let i = 0; i < f.length; i++) {
        const fv = Number(f[i]);
        const e = Number(q[i]) - fv;
        sig += fv * fv;
        noise += e * e;
      }
    }
  }
  const db = noise === 0 ? Infinity : 10 * Math.log10(sig / noise);
  process.stdout.write(`sqnr_db=${Number.isNaN(db) ? 'nan' : db.toFixed(2)} samples=${dirs.length}\n`);
  if (opts['min-db'] === undefined) return 0;
  const floor = Number(opts['min-db']);
  const ok = db >= floor;
  process.stdout.write(ok ? `PASS min_db=${floor}\n` : `FAIL sqnr ${db.toFixed(2)} dB < ${floor} dB\n`);
  return ok ? 0 : 1;
});
