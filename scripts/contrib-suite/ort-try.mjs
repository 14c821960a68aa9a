// Child process of gen-contrib-suite.mjs: runs one model on onnxruntime-node and prints 'pass' or
// the first line of the error (a crash shows as a missing line).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

const dir = process.argv[2];
const { feeds, outputNames } = JSON.parse(readFileSync(join(dir, 'feeds.json'), 'utf8'));
const arr = { float32: Float32Array, float16: Uint16Array, int32: Int32Array, uint8: Uint8Array };
try {
  const s = await ort.InferenceSession.create(readFileSync(join(dir, 'model.onnx')), { logSeverityLevel: 4 });
  const f = Object.fromEntries(
    Object.entries(feeds).map(([k, t]) => [
      k,
      new ort.Tensor(
        t.type,
        t.type === 'int64' ? BigInt64Array.from(t.data, BigInt) : arr[t.type].from(t.data, Number),
        t.dims,
      ),
    ]),
  );
  await s.run(f, outputNames);
  console.log('pass');
} catch (e) {
  console.log(String(e.message ?? e).split('\n')[0]);
}
process.exit(0);
