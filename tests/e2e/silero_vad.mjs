// Silero VAD (npm @ricky0123/vad-web: silero_vad_legacy.onnx with h/c, silero_vad_v5.onnx with state; both use If
// and LSTM) over several chunks of synthetic audio with the recurrent state carried between calls: onnxruntime-node
// on one side, `onnxq run` on the other, each carrying its own state. Passes when every output of every chunk
// matches (SQNR >= 60 dB or max relative error <= 1e-3).
//   node silero_vad.mjs ONNXQ MODEL WORK_DIR [CHUNKS]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { readNpy, writeNpy } from './npy.mjs';
import { fail, openSession, ort, runMain } from './ort_common.mjs';

runMain(async () => {
  const [onnxq, model, work, chunksArg] = process.argv.slice(2);
  if (!onnxq || !model || !work) fail('usage: node silero_vad.mjs ONNXQ MODEL WORK_DIR [CHUNKS]');
  const chunks = Number(chunksArg || 6), n = 512, sr = 16000n;
  const session = await openSession(model);
  const legacy = session.inputNames.includes('h');
  const stateNames = legacy ? ['h', 'c'] : ['state'];
  const outStates = legacy ? ['hn', 'cn'] : ['stateN'];
  const stateDims = legacy ? [2, 1, 64] : [2, 1, 128];
  const zeros = () => new Float32Array(stateDims.reduce((a, b) => a * b, 1));
  let ortState = stateNames.map(zeros), oqState = stateNames.map(zeros);
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  let worst = { sqnr: Infinity, rel: 0 };
  for (let k = 0; k < chunks; k++) {
    const audio = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const t = (k * n + i) / 16000;
      audio[i] = (k % 3 === 1 ? 0.5 * Math.sin(2 * Math.PI * 220 * t) : 0) + 0.05 * rand();
    }
    const feeds = { input: new ort.Tensor('float32', audio, [1, n]), sr: new ort.Tensor('int64', [sr], []) };
    stateNames.forEach((s, j) => (feeds[s] = new ort.Tensor('float32', ortState[j], stateDims)));
    const ref = await session.run(feeds);
    const dir = path.join(work, `chunk_${k}`), out = path.join(work, `out_${k}`);
    fs.mkdirSync(dir, { recursive: true });
    writeNpy(path.join(dir, 'input.npy'), '<f4', [1, n], audio);
    writeNpy(path.join(dir, 'sr.npy'), '<i8', [], new BigInt64Array([sr]));
    stateNames.forEach((s, j) => writeNpy(path.join(dir, `${s}.npy`), '<f4', stateDims, oqState[j]));
    const r = spawnSync(onnxq, ['run', model, '--inputs', dir, '-o', out, '--threads', '1'], { encoding: 'utf8' });
    if (r.status !== 0) fail(`chunk ${k}: onnxq run failed: ${r.stderr.trim()}`);
    for (const name of ['output', ...outStates]) {
      const got = readNpy(path.join(out, `${name}.npy`)).data, want = ref[name].data;
      if (got.length !== want.length) fail(`chunk ${k}: ${name} has ${got.length} values, onnxruntime ${want.length}`);
      let sig = 0, noise = 0, rel = 0;
      for (let i = 0; i < got.length; i++) {
        const d = got[i] - want[i];
        sig += want[i] * want[i];
        noise += d * d;
        rel = Math.max(rel, Math.abs(d) / Math.max(Math.abs(want[i]), 1e-6));
      }
      const sqnr = noise === 0 ? Infinity : 10 * Math.log10(sig / noise);
      console.log(`chunk ${k} ${name}: SQNR ${sqnr.toFixed(1)} dB, max rel err ${rel.toExponential(2)}`);
      if (!(sqnr >= 60 || rel <= 1e-3)) fail(`chunk ${k}: ${name} differs from onnxruntime (SQNR ${sqnr} dB)`);
      worst = { sqnr: Math.min(worst.sqnr, sqnr), rel: Math.max(worst.rel, rel) };
    }
    ortState = outStates.map((s) => ref[s].data);
    oqState = outStates.map((s) => readNpy(path.join(out, `${s}.npy`)).data);
  }
  console.log(`${path.basename(model)}: ${chunks} chunks with state carried, worst SQNR ${worst.sqnr.toFixed(1)} dB, ` +
    `worst max rel err ${worst.rel.toExponential(2)}: PASS`);
});
