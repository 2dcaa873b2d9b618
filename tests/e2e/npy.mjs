// Minimal .npy reader/writer (NumPy format v1.0 / v2.0 / v3.0), C order only.
// Supported dtypes: '<f4' '<f8' '<i8' '<i4' '<i2' '|i1' '|u1' '|b1'.
// Used by the onnxruntime-node e2e scripts; no dependencies.

import { readFileSync, writeFileSync } from 'node:fs';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

// descr -> { ort: onnxruntime tensor type, Arr: typed array ctor, size }
export const DTYPES = {
  '<f4': { ort: 'float32', Arr: Float32Array, size: 4 },
  '<f8': { ort: 'float64', Arr: Float64Array, size: 8 },
  '<i8': { ort: 'int64', Arr: BigInt64Array, size: 8 },
  '<i4': { ort: 'int32', Arr: Int32Array, size: 4 },
  '<i2': { ort: 'int16', Arr: Int16Array, size: 2 },
  '|i1': { ort: 'int8', Arr: Int8Array, size: 1 },
  '|u1': { ort: 'uint8', Arr: Uint8Array, size: 1 },
  '|b1': { ort: 'bool', Arr: Uint8Array, size: 1 },
};
// numpy also accepts these spellings for single-byte / native little-endian types
const ALIASES = { '<i1': '|i1', '<u1': '|u1', '<b1': '|b1', '=f4': '<f4', '=f8': '<f8', '=i8': '<i8', '=i4': '<i4' };

// Parse the python-dict header, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 8, 8), }
function parseHeader(h, file) {
  const descrM = h.match(/['"]descr['"]\s*:\s*['"]([^'"]+)['"]/);
  const fortM = h.match(/['"]fortran_order['"]\s*:\s*(True|False)/);
  const shapeM = h.match(/['"]shape['"]\s*:\s*\(([^)]*)\)/);
  if (!descrM || !fortM || !shapeM) throw new Error(`${file}: malformed npy header: ${h.trim()}`);
  let descr = descrM[1];
  if (ALIASES[descr]) descr = ALIASES[descr];
  if (!DTYPES[descr]) throw new Error(`${file}: unsupported npy dtype '${descrM[1]}'`);
  if (fortM[1] === 'True') throw new Error(`${file}: fortran_order=True is not supported`);
  const shape = shapeM[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((s) => {
    const v = Number(s.replace(/L$/, ''));
    if (!Number.isInteger(v) || v < 0) throw new Error(`${file}: bad shape entry '${s}'`);
    return v;
  });
  return { descr, shape };
}

// Returns { descr, dtype (ort type name), shape: number[], data: TypedArray }
export function readNpy(file) {
  const buf = readFileSync(file);
  if (buf.length < 10 || !MAGIC.every((b, i) => buf[i] === b)) throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  let hlen;
  let off;
  if (major === 1) {
    hlen = buf.readUInt16LE(8);
    off = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new Error(`${file}: truncated header`);
    hlen = buf.readUInt32LE(8);
    off = 12;
  } else {
    throw new Error(`${file}: unsupported npy version ${major}.${buf[7]}`);
  }
  if (off + hlen > buf.length) throw new Error(`${file}: truncated header`);
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', off, off + hlen);
  const { descr, shape } = parseHeader(header, file);
  const dt = DTYPES[descr];
  const count = shape.reduce((a, b) => a * b, 1);
  const dataOff = off + hlen;
  const nbytes = count * dt.size;
  if (buf.length - dataOff < nbytes) {
    throw new Error(`${file}: data truncated (need ${nbytes} bytes, have ${buf.length - dataOff})`);
  }
  // copy into a fresh, aligned ArrayBuffer
  const ab = new ArrayBuffer(nbytes);
  new Uint8Array(ab).set(buf.subarray(dataOff, dataOff + nbytes));
  return { descr, dtype: dt.ort, shape, data: new dt.Arr(ab) };
}

// Writes a v1.0 .npy file. descr one of DTYPES keys; data a matching typed array.
export function writeNpy(file, descr, shape, data) {
  const dt = DTYPES[descr];
  if (!dt) throw new Error(`writeNpy: unsupported dtype ${descr}`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (data.length !== count) throw new Error(`writeNpy: ${file}: data length ${data.length} != prod(shape) ${count}`);
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  // total header (10 bytes prefix + dict + padding + '\n') must be a multiple of 64
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header + ' '.repeat(total - 10 - header.length - 1) + '\n';
  const pre = Buffer.alloc(10);
  MAGIC.forEach((b, i) => { pre[i] = b; });
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}
