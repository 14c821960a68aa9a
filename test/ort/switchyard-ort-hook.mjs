// A Node loader hook (node --import ./test/ort/switchyard-ort-hook.mjs app.mjs) that makes every
// onnxruntime import of an app resolve to switchyard/ort: ESM imports of onnxruntime-node, -web and
// -common through a resolve hook, and the CommonJS require('onnxruntime-node') that transformers.js
// makes with createRequire through the require cache.
import { createRequire, Module, register } from 'node:module';
import * as ort from 'switchyard/ort';

register('./switchyard-ort-resolve.mjs', import.meta.url);

const require = createRequire(import.meta.url);
for (const name of ['onnxruntime-node', 'onnxruntime-common', 'onnxruntime-web']) {
  let file;
  try {
    file = require.resolve(name);
  } catch {
    continue;
  }
  const m = new Module(file);
  m.filename = file;
  m.exports = ort;
  m.loaded = true;
  Module._cache[file] = m;
}

// so a test can tell the app really ran on Switchyard
const create = ort.InferenceSession.create.bind(ort.InferenceSession);
let sessions = 0;
ort.InferenceSession.create = (...args) => {
  sessions++;
  return create(...args);
};
process.on('exit', () => process.stderr.write(`switchyard/ort: ${sessions} sessions created\n`));
