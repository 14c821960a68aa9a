// Loading a decoder model: a Hugging Face folder (config.json, *.safetensors, tokenizer.json,
// tokenizer_config.json with its chat template, generation_config.json), a Hub id
// `hf:org/name[@revision]` (fetched into the huggingface_hub cache, see hub.ts), a lone .safetensors
// with its config.json beside it, or a .gguf file (with its own tokenizer when the metadata has a
// byte-level BPE, else a tokenizer.json given alongside).

import { readGguf } from '../../frontend/weights/gguf.js';
import { readSafetensors } from '../../frontend/weights/safetensors.js';
import type { Tensor } from '../../ir/tensor.js';
import { exists, isDirectory, listDir, readBytes, readJson, readText, resolveNear } from '../files.js';
import { configFromGguf, configFromHf } from './config.js';
import type { GenerationDefaults, LlmModel } from './engine.js';
import type { HubOptions } from './hub.js';
import { parseHubId } from './hub-id.js';
import { TextTokenizer, tokenizerJsonFromGguf } from './tokenizer.js';
import { type Quantization, weightsFromGguf, weightsFromHf } from './weights.js';

export interface LoadOptions {
  name?: string;
  /** tokenizer.json location (default: beside the weights, or from GGUF metadata). */
  tokenizer?: string;
  /** config.json location for a lone safetensors file (default: beside it). */
  config?: string;
  /** GGUF 8-bit weights: widen to float32 ('dequantize', default) or keep int8 with block scales. */
  quantization?: Quantization;
  /** For hf: ids: endpoint, token, offline mode, cache folder, progress (defaults from HF_* variables). */
  hub?: HubOptions;
}

/** Sampling defaults and stop ids from generation_config.json (what transformers' generate() applies). */
export function generationDefaults(json: Record<string, unknown> | undefined): GenerationDefaults | undefined {
  if (!json) return undefined;
  const n = (k: string) => (typeof json[k] === 'number' ? (json[k] as number) : undefined);
  const eos = json.eos_token_id;
  const d: GenerationDefaults = {
    temperature: json.do_sample === false ? 0 : n('temperature'),
    topP: n('top_p'),
    topK: n('top_k'),
    repetitionPenalty: n('repetition_penalty'),
    maxNewTokens: n('max_new_tokens'),
    eosTokenIds: Array.isArray(eos) ? (eos as number[]) : typeof eos === 'number' ? [eos] : undefined,
  };
  return Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined)) as GenerationDefaults;
}

const eosList = (v: unknown): number[] => (Array.isArray(v) ? (v as number[]) : typeof v === 'number' ? [v] : []);

export function llmFromHf(parts: {
  config: Record<string, unknown>;
  weights: Uint8Array[];
  tokenizer?: Record<string, unknown>;
  tokenizerConfig?: Record<string, unknown>;
  generationConfig?: Record<string, unknown>;
  name?: string;
  source?: string;
}): LlmModel {
  const source = parts.source ?? 'safetensors';
  const config = configFromHf(parts.config, `${source} config.json`);
  const tensors = new Map<string, Tensor>();
  parts.weights.forEach((b, i) => {
    for (const [k, v] of readSafetensors(b, parts.weights.length > 1 ? `${source} shard ${i + 1}` : source).tensors)
      tensors.set(k, v);
  });
  const weights = weightsFromHf(tensors, config, source);
  const generation = generationDefaults(parts.generationConfig);
  const stop = [...eosList(parts.config.eos_token_id), ...(generation?.eosTokenIds ?? [])];
  const tokenizer = parts.tokenizer
    ? new TextTokenizer(parts.tokenizer, parts.tokenizerConfig, {
        eos: config.eosTokenId,
        bos: config.bosTokenId,
        stop,
      })
    : undefined;
  return {
    name: parts.name ?? String(parts.config._name_or_path ?? config.arch),
    config,
    weights,
    tokenizer,
    source,
    ...(generation ? { generation } : {}),
  };
}

export function llmFromGguf(
  bytes: Uint8Array,
  opts: { tokenizer?: Record<string, unknown>; quantization?: Quantization; name?: string; source?: string } = {},
): LlmModel {
  const source = opts.source ?? 'gguf';
  const file = readGguf(bytes, source);
  const config = configFromGguf(file.metadata, source);
  const weights = weightsFromGguf(file, config, opts.quantization);
  let tokJson = opts.tokenizer;
  if (!tokJson && file.metadata.has('tokenizer.ggml.tokens')) tokJson = tokenizerJsonFromGguf(file.metadata, source);
  const tokenizer = tokJson
    ? new TextTokenizer(tokJson, {}, { eos: config.eosTokenId, bos: config.bosTokenId })
    : undefined;
  return {
    name: opts.name ?? String(file.metadata.get('general.name') ?? config.arch),
    config,
    weights,
    tokenizer,
    source,
  };
}

/** Load from a path or URL (Node reads files; browsers fetch). */
export async function loadLlm(location: string, opts: LoadOptions = {}): Promise<LlmModel> {
  if (location.startsWith('hf:')) {
    const isNode = typeof process !== 'undefined' && !!process.versions?.node;
    if (isNode) {
      const spec = './hub.js'; // a variable keeps bundlers from pulling node:fs into browser builds
      const hub = (await import(/* @vite-ignore */ spec)) as typeof import('./hub.js');
      // a progress bar on an interactive terminal unless the caller watches progress itself
      const bar = opts.hub?.onProgress ? undefined : await hub.progressBar();
      let folder: string;
      try {
        folder = await hub.resolveHubModel(location, {
          ...opts.hub,
          onProgress: opts.hub?.onProgress ?? bar?.onProgress,
        });
      } finally {
        bar?.stop();
      }
      return loadLlm(folder, { ...opts, name: opts.name ?? location.slice(3) });
    }
    // a browser reads the Hub's resolve URLs (its HTTP cache is the cache)
    const { repo, revision } = parseHubId(location);
    return loadLlm(
      `${(opts.hub?.endpoint ?? 'https://huggingface.co').replace(/\/$/, '')}/${repo}/resolve/${revision}/`,
      { ...opts, name: opts.name ?? repo },
    );
  }
  const tokPath = async (base: string) => {
    if (opts.tokenizer) return opts.tokenizer;
    const near = resolveNear(base, 'tokenizer.json');
    return (await exists(near)) ? near : undefined;
  };
  const tokenizerOf = async (base: string) => {
    const p = await tokPath(base);
    if (!p) return {};
    const cfgPath = resolveNear(p, 'tokenizer_config.json');
    const hasConfig = await exists(cfgPath);
    const tokenizerConfig = hasConfig ? await readJson(cfgPath) : {};
    // newer repositories keep the template in its own file beside tokenizer_config.json (a folder
    // without that file has no template: not asked for, so a page logs no 404 for it)
    const jinja = resolveNear(p, 'chat_template.jinja');
    if (hasConfig && tokenizerConfig.chat_template === undefined && (await exists(jinja))) {
      tokenizerConfig.chat_template = await readText(jinja);
    }
    return { tokenizer: await readJson(p), tokenizerConfig };
  };
  if (location.endsWith('.gguf')) {
    const t = opts.tokenizer ? await readJson(opts.tokenizer) : undefined;
    return llmFromGguf(await readBytes(location), {
      tokenizer: t,
      quantization: opts.quantization,
      name: opts.name,
      source: location,
    });
  }
  let files: string[];
  let base: string;
  if (await isDirectory(location)) {
    base = `${location.replace(/\/$/, '')}/`;
    const names = await listDir(location);
    files = names
      .filter((f) => f.endsWith('.safetensors'))
      .sort()
      .map((f) => base + f);
    if (!files.length) throw new Error(`${location}: no .safetensors files in this folder`);
  } else if (/^https?:\/\//.test(location) && !/\.[a-z]+$/i.test(location.replace(/\/$/, ''))) {
    // a folder over HTTP cannot be listed: take the Hugging Face names (a shard index, or one file)
    base = `${location.replace(/\/$/, '')}/`;
    const index = `${base}model.safetensors.index.json`;
    if (await exists(`${base}model.safetensors`)) files = [`${base}model.safetensors`];
    else if (await exists(index))
      files = [...new Set(Object.values(((await readJson(index)).weight_map ?? {}) as Record<string, string>))]
        .sort()
        .map((f) => base + f);
    else throw new Error(`${location}: no model.safetensors (or model.safetensors.index.json) at this URL`);
  } else if (location.endsWith('.safetensors')) {
    base = location;
    files = [location];
  } else {
    throw new Error(`${location}: expected a .gguf file, a .safetensors file or a Hugging Face model folder`);
  }
  const cfgPath = opts.config ?? resolveNear(base, 'config.json');
  if (!(await exists(cfgPath)))
    throw new Error(`${location}: no config.json beside the weights (give one with the config option)`);
  const weights = await Promise.all(files.map((f) => readBytes(f)));
  const genPath = resolveNear(base, 'generation_config.json');
  const generationConfig = (await exists(genPath)) ? await readJson(genPath) : undefined;
  return llmFromHf({
    config: await readJson(cfgPath),
    weights,
    ...(await tokenizerOf(base)),
    generationConfig,
    name: opts.name,
    source: location,
  });
}
