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

/** What the table measures on Switchyard's side, and what is still missing. */
const HOW = `## How Switchyard runs GGUF weights on the CPU

- Q8_0, Q4_0 and Q6_K matrices are repacked value for value into MatMulNBits' layout at load
  (\`src/frontend/weights/gguf-nbits.ts\`; quantization \`'native'\`, what the bench uses) and never
  widened: 8-bit codes with blocks of 32 (Q8_0) or 16 (Q6_K, code = q6 + 96), 4-bit codes with blocks
  of 32 (Q4_0, nibbles reordered). Q4_K (a per-block minimum) is still widened to float32.
- Decode (one row): \`wasm/contrib-quant-nbits.ts\` quantizes the activation row to int8 per block of 32 (16), as
  llama.cpp does. The codes are widened to int16 as they load and multiplied with \`i32x4.dot_i16x8_s\`
  (eight exact products per instruction, zero point subtracted per block as z · Σ q_a); four output
  columns share each activation load and finish their block sums together, so the scales apply as one
  vector. 4-bit codes take the relaxed-SIMD \`i16x8.relaxed_dot_i8x16_i7x16_s\` where the engine has it
  (codes 0..15 are the i7 operand, exact on every engine; Node 20 gets
  \`--experimental-wasm-relaxed-simd\` switched on for this kernel family only); 8-bit codes
  cannot be an exact i7 operand and stay on the plain dot. Threads split the output columns in groups of
  four, so decode's matrix-vector products use every thread.
- Prefill (16 rows and more): each matrix is dequantised (SIMD) into transient scratch and multiplied by
  the float GEMM; the resident weights stay packed. An int8 GEMM on the same dots (two rows × four
  columns per pass) was measured slower than this on the bench machine (AMD EPYC: one 128-bit
  \`pmaddwd\` per cycle against two float multiplies and two adds) and not kept.
- Attention visits only the keys a row can see (the cache mask's -1e9 on empty and future slots marks
  them dead), four keys per pass: prefill's causal rows cost the positions reached, not the capacity.
- Decode writes its KV row with ScatterND (not the placement product over the whole cache).
- Checked against the reference interpreter (\`test/backends/wasm-nbits.test.ts\`: within the int8
  rounding bound, exact on the int8 grid), against the widened GGUF (\`test/frontend/gguf-blocks.test.ts\`)
  and against llama.cpp: the "greedy = llama.cpp" column counts Switchyard's greedy tokens equal to
  llama.cpp's on the same file. The seeded model's logits lie close together, so near-ties flip late
  tokens between any two engines (onnxruntime on Switchyard's weights agrees with Switchyard, not
  always with llama.cpp); an early mismatch would mean a wrong layout.
- The k-quant layouts against llama.cpp: \`npm run bench:llm -- --size 40m --types Q6_K,Q4_K,Q8_0
  --threads 1 --runs 1 --tokens 12 --prompt 32 --no-docs\` (Dec 8): greedy tokens equal to llama.cpp's
  12/12 on Q4_K, 8/12 on Q6_K and 9/12 on Q8_0, onnxruntime on the same weights exactly the same.
- At 2 threads on a loaded machine llama.cpp's worker threads spin-wait for each other and its decode
  can collapse (see llama.cpp's 2-thread rows): those 2-thread ratios flatter Switchyard and say
  nothing about an idle machine. Read the 1-thread rows.

Known gaps: the integer dots are 128-bit SIMD (llama.cpp's AVX2 kernels do 32 int8 products per
instruction); prefill still writes the cache rows with the placement product over the whole capacity;
Q4_K has no native kernel (widened to float32). MatMulNBits nodes carry accuracy_level 4, so onnxruntime
too may compute them with int8 activations (with level 0 its 8-bit MatMulNBits decoded 20× slower here).

Run it: \`npm run bench:llm\` (size 150m), \`npm run bench:llm -- --size 1b\` for TinyLlama-1.1B's shape
(files of 1.2 GB, minutes per run on two cores; with F16 weights onnxruntime cannot take 1B: its f32 ONNX
is over protobuf's 2 GB).
Checkpoints are written once to the OS temp folder (\`--cache DIR\`).`;

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
  lines.push('', ...HOW.split('\n'));
  return lines.join('\n');
}
