#!/usr/bin/env node
// Compare every .npy in EXPECTED_DIR with the file of the same name in ACTUAL_DIR.
//
//   node tests/e2e/compare_npy.mjs EXPECTED_DIR ACTUAL_DIR [--atol 1e-4] [--rtol 1e-3]
//
// Prints the largest absolute error per file; exits 1 when a file is missing, shapes differ, or any element
// violates |a - e| <= atol + rtol * |e|.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy } from './npy.mjs';
import { parseArgs, runMain } from './ort_common.mjs';

runMain(async () => {
  const { pos, opts } = parseArgs(process.argv.slice(2), ['atol', 'rtol'], []);
  if (pos.length !== 2) throw new Error('usage: compare_npy.mjs EXPECTED_DIR ACTUAL_DIR [--atol A] [--rtol R]');
  const atol = opts.atol === undefined ? 1e-4 : Number(opts.atol);
  const rtol = opts.rtol === undefined ? 1e-3 : Number(opts.rtol);
  const files = readdirSync(pos[0]).filter((f) => f.endsWith('.npy')).sort();
  if (files.length === 0) throw new Error(`${pos[0]}: no .npy files`);
  let ok = true;
  for (const f of files) {
    const e = readNpy(join(pos[0], f));
    const a = readNpy(join(pos[1], f));
    if (e.shape.join(',') !== a.shape.join(',')) {
      process.stdout.write(`${f}: shape [${a.shape}] != expected [${e.shape}]\n`);
      ok = false;
      continue;
    }
    let maxErr = 0;
    let bad = 0;
    for (let i = 0; i < e.data.length; i++) {
      const ev = Number(e.data[i]);
      const av = Number(a.data[i]);
      const d = Math.abs(av - ev);
      if (!(d <= atol + rtol * Math.abs(ev))) bad++;
      if (d > maxErr || Number.isNaN(d)) maxErr = d;
    }
    process.stdout.write(`${f}: n=${e.data.length} max_abs_err=${maxErr.toExponential(3)} violations=${bad}\n`);
    if (bad) ok = false;
  }
  process.stdout.write(ok ? 'PASS\n' : 'FAIL\n');
  return ok ? 0 : 1;
});
