// A real published model, `onnxq run` against onnxruntime-node on the same inputs: every output of every sample
// folder of DATA_DIR (one <input name>.npy per model input) is compared by SQNR (signal: onnxruntime's output,
// noise: the difference). Fails when any output is under --min-sqnr (default 60 dB). With --quantize CALIB_DIR the
// model is also quantized by `onnxq quantize --calib CALIB_DIR`, and the quantized model's outputs in onnxruntime
// are compared with the float model's (reported; fails under --min-qsqnr when given).
//   node real_model.mjs ONNXQ MODEL DATA_DIR WORK_DIR [--min-sqnr DB] [--quantize CALIB_DIR] [--min-qsqnr DB]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { readNpy } from './npy.mjs';
import { argmax, fail, openSession, parseArgs, runMain, runSampleFolder } from './ort_common.mjs';

const fileOf = (name) => name.replace(/[^A-Za-z0-9._-]/g, '_') + '.npy';

// SQNR in dB of got against want (Infinity when identical) and the max relative error.
function compare(got, want) {
  let sig = 0, noise = 0, rel = 0;
  for (let i = 0; i < want.length; i++) {
    const w = Number(want[i]), d = Number(got[i]) - w;
    sig += w * w;
    noise += d * d;
    rel = Math.max(rel, Math.abs(d) / Math.max(Math.abs(w), 1e-6));
  }
  if (!Number.isFinite(noise)) return { sqnr: -Infinity, rel: Infinity };
  return { sqnr: noise === 0 ? Infinity : 10 * Math.log10(sig / noise), rel };
}

function onnxq(bin, args, what) {
  const r = spawnSync(bin, args, { encoding: 'utf8' });
  if (r.status !== 0) fail(`${what}: onnxq ${args[0]} failed: ${(r.stderr || r.error || '').toString().trim()}`);
  return r.stdout.trim();
}

runMain(async () => {
  const { pos, opts } = parseArgs(process.argv.slice(2), ['min-sqnr', 'quantize', 'min-qsqnr']);
  const [bin, model, data, work] = pos;
  if (pos.length !== 4) {
    fail('usage: node real_model.mjs ONNXQ MODEL DATA_DIR WORK_DIR [--min-sqnr DB] [--quantize CALIB_DIR] ' +
      '[--min-qsqnr DB]');
  }
  if (!fs.existsSync(model)) fail(`${model}: no such model (scripts/setup.sh fetches the downloaded ones)`);
  const minSqnr = Number(opts['min-sqnr'] ?? 60);
  const samples = fs.readdirSync(data, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name)
    .sort();
  if (samples.length === 0) fail(`${data}: no sample folders`);
  const name = path.basename(model);
  const session = await openSession(model);
  const refs = {};
  let worst = { sqnr: Infinity, rel: 0 }, bad = null;
  for (const s of samples) {
    const out = path.join(work, 'ours', s);
    fs.rmSync(out, { recursive: true, force: true });
    const t0 = process.hrtime.bigint();
    onnxq(bin, ['run', model, '--inputs', path.join(data, s), '-o', out, '--threads', '1'], `${name} sample ${s}`);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    refs[s] = await runSampleFolder(session, path.join(data, s));
    for (const o of session.outputNames) {
      const want = refs[s][o], got = readNpy(path.join(out, fileOf(o)));
      if (got.shape.join(',') !== want.dims.join(',')) {
        fail(`${name} sample ${s}: output '${o}' has shape [${got.shape}], onnxruntime [${want.dims}]`);
      }
      const c = compare(got.data, want.data);
      console.log(`${name} sample ${s} ${o} [${want.dims}]: SQNR ${c.sqnr.toFixed(1)} dB, max rel err ` +
        `${c.rel.toExponential(2)} (onnxq run ${ms.toFixed(0)} ms)`);
      if (!(c.sqnr >= minSqnr) && !bad) bad = `sample ${s} output '${o}': SQNR ${c.sqnr.toFixed(1)} dB < ${minSqnr}`;
      worst = { sqnr: Math.min(worst.sqnr, c.sqnr), rel: Math.max(worst.rel, c.rel) };
    }
  }
  if (bad) fail(`${name}: onnxq differs from onnxruntime: ${bad}`);
  console.log(`${name}: float, ${samples.length} samples, worst SQNR ${worst.sqnr.toFixed(1)} dB vs onnxruntime: PASS`);

  if (opts.quantize) {
    const qmodel = path.join(work, name.replace(/\.onnx$/, '') + '.qdq.onnx');
    console.log(onnxq(bin, ['quantize', model, '--calib', opts.quantize, '-o', qmodel, '--threads', '2'],
      `${name} quantize`));
    const qsession = await openSession(qmodel);
    let qworst = Infinity;
    for (const s of samples) {
      const q = await runSampleFolder(qsession, path.join(data, s));
      for (const o of session.outputNames) {
        const c = compare(q[o].data, refs[s][o].data);
        let top1 = '';
        const dims = refs[s][o].dims;
        if (dims.length === 2 || dims.length === 3) { // class scores on the last axis: the rows whose argmax agrees
          const k = dims[dims.length - 1], n = refs[s][o].data.length / k;
          let agree = 0;
          for (let i = 0; i < n; i++) {
            const row = (t) => Array.from(t.data.subarray(i * k, (i + 1) * k));
            agree += argmax(row(q[o])) === argmax(row(refs[s][o])) ? 1 : 0;
          }
          top1 = `, top-1 agrees on ${agree}/${n}`;
        }
        console.log(`${name} quantized sample ${s} ${o}: SQNR ${c.sqnr.toFixed(1)} dB vs the float model ` +
          `(both in onnxruntime)${top1}`);
        qworst = Math.min(qworst, c.sqnr);
      }
    }
    console.log(`${name}: quantized, worst SQNR ${qworst.toFixed(1)} dB vs float`);
    if (opts['min-qsqnr'] !== undefined && !(qworst >= Number(opts['min-qsqnr']))) {
      fail(`${name}: quantized SQNR ${qworst.toFixed(1)} dB < ${opts['min-qsqnr']}`);
    }
  }
});
