// A transformers.js app: greedy text generation with a local decoder (no network). Run by
// test/ort/transformers.test.ts as is (onnxruntime-node) and with the switchyard/ort loader hook.
import { AutoModelForCausalLM, AutoTokenizer, env } from '@huggingface/transformers';

env.allowRemoteModels = false;
env.localModelPath = process.argv[2];
const tokenizer = await AutoTokenizer.from_pretrained('tiny-llama');
const model = await AutoModelForCausalLM.from_pretrained('tiny-llama', { dtype: 'fp32' });
const inputs = tokenizer(['the cat sat on', 'hello world'], { padding: true });
const out = await model.generate({ ...inputs, max_new_tokens: 12, do_sample: false, min_new_tokens: 12 });
console.log(JSON.stringify({ tokens: out.tolist().map((r) => r.map(Number)) }));
