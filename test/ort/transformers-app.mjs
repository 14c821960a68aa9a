// A transformers.js app: feature extraction with a local model folder (no network). Run by
// test/ort/transformers.test.ts as is (onnxruntime-node) and bundled with its onnxruntime aliased
// to switchyard/ort.
import { env, pipeline } from '@huggingface/transformers';

env.allowRemoteModels = false;
env.localModelPath = process.argv[2];
const extractor = await pipeline('feature-extraction', 'tiny-bert', { dtype: 'fp32' });
const texts = ['Hello world, the cat sat on the mat.', 'A dog runs fast', 'switchyard is here'];
const pooled = await extractor(texts, { pooling: 'mean', normalize: true });
const tokens = await extractor('the dog sat');
console.log(
  JSON.stringify({
    pooled: { dims: pooled.dims, data: Array.from(pooled.data) },
    tokens: { dims: tokens.dims, data: Array.from(tokens.data) },
  }),
);
