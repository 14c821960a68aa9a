// bench:llm's report: the measured rows as a Markdown table and the ratios the targets are set in
// (Switchyard's decode tok/s over llama.cpp's and over onnxruntime's, TTFT over llama.cpp's).

export interface Row {
  engine: string;
  type: string;
  threads: number;
  loadMs: number;
  firstTtftMs: number;
  firstTokS: number;
  /** Medians over the runs after the first. */
  ttftMs: number;
  tokS: number;
  runs: number;
  peakRssMb: number;
  /** Greedy tokens equal to llama.cpp's from the start, of the tokens generated. */
  sameAsLlama?: string;
}

const f = (x: number, d = 1) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(d)) : '-');
const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : '-';

export function renderMarkdown(meta: Record<string, unknown>, rows: Row[]): string {
  const c = meta.config as Record<string, number>;
  const load = (x: unknown) => (x as number[]).map((v) => v.toFixed(2)).join(' ');
  const lines = [
    '# LLM on the CPU: Switchyard WASM beside llama.cpp and onnxruntime-node',
    '',
    `Command: \`${meta.command}\` (${String(meta.date).slice(0, 16)} UTC, node ${meta.node}, ` +
      `${meta.cpus} × ${meta.cpuModel}). Raw numbers: \`bench/llm/results/\`.`,
    '',
    `Model: a seeded Llama-shaped checkpoint, size \`${meta.size}\` (${(Number(meta.params) / 1e6).toFixed(0)} M ` +
      `parameters: hidden ${c.hiddenSize}, ${c.numLayers} layers, ${c.numHeads} query / ${c.numKvHeads} KV heads ` +
      `of 64, MLP ${c.intermediateSize}, vocabulary ${c.vocabSize}, untied output), written by the benchmark ` +
      '(bench/llm/model-files.ts) as GGUF files (linear weights Q8_0 / Q4_0 / F16, embeddings and norms F32) and ' +
      'as a Hugging Face folder with f16 safetensors. ' +
      `Prompt ${meta.promptLen} tokens, then ${meta.newTokens} tokens greedy; KV capacity ${meta.capacity}.`,
    '',
    '- **switchyard**: WASM backend, `LlmEngine`, GGUF blocks kept as ' +
      `\`${meta.switchyardQuantization}\`; for F16 the safetensors folder.`,
    '- **llama.cpp**: node-llama-cpp (prebuilt CPU binary from npm), the same GGUF file, the same thread ' +
      'count (batch 512, so the prompt is one batch). For F16 the F16 GGUF.',
    '- **onnxruntime**: onnxruntime-node, the same weights as Switchyard exported as ONNX prefill and ' +
      'decode step graphs with the KV cache as inputs/outputs (`intraOpNumThreads` = threads).',
    '',
    'Each engine is its own process; per row group the engines load side by side and take turns run ' +
      `after run (order rotating), ${Number(meta.runs) - 1} timed runs after a first one reported apart; ` +
      'medians. Peak RSS is the process high-water mark (llama.cpp maps the GGUF file: touched pages count). ' +
      `The machine was shared with other work: load average ${load(meta.loadavgStart)} at the start, ` +
      `${load(meta.loadavgEnd)} at the end, so absolute numbers move; the ratios within a group are what to read.`,
    '',
    '| weights | threads | engine | TTFT ms | decode tok/s | first run: TTFT ms / tok/s | peak RSS MB | load s | ' +
      'greedy = llama.cpp |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.type} | ${r.threads} | ${r.engine} | ${f(r.ttftMs, 0)} | ${f(r.tokS)} | ` +
        `${f(r.firstTtftMs, 0)} / ${f(r.firstTokS)} | ${f(r.peakRssMb, 0)} | ${f(r.loadMs / 1000)} | ` +
        `${r.sameAsLlama ?? '-'} |`,
    );
  }
  lines.push(
    '',
    '## Ratios (Switchyard against the peers, same group)',
    '',
    '| weights | threads | decode vs llama.cpp (target ≥ 0.8×) | TTFT vs llama.cpp (target ≤ 1.25×) | ' +
      'decode vs onnxruntime (target ≥ 1.5×) | TTFT: onnxruntime / switchyard |',
    '|---|---|---|---|---|---|',
  );
  const groups = new Set(rows.map((r) => `${r.type}|${r.threads}`));
  for (const g of groups) {
    const [type, t] = g.split('|');
    const pick = (e: string) => rows.find((r) => r.type === type && String(r.threads) === t && r.engine === e);
    const sy = pick('switchyard'),
      ll = pick('llama.cpp'),
      ort = pick('onnxruntime');
    lines.push(
      `| ${type} | ${t} | ${ratio(sy?.tokS, ll?.tokS)} | ${ratio(sy?.ttftMs, ll?.ttftMs)} | ` +
        `${ratio(sy?.tokS, ort?.tokS)} | ${ratio(ort?.ttftMs, sy?.ttftMs)} |`,
    );
  }
  lines.push('');
  return lines.join('\n');
}
