// switchyard agent <graph.yaml> [--input …] [--remote URL] [--ttft MS --tpot MS] [--explain] [--trace out.json]
//
// Loads the graph and what it names, discovers the devices (local ones, and the offload server
// given with --remote), plans the graph under the SLA, runs it streaming the answer, and prints
// per-node timing with the device each node ran on, TTFT and TPOT.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { prepareExampleModels } from '../../agent/example.js';
import type { LlmModel } from '../../agent/llm/engine.js';
import { loadLlm } from '../../agent/llm/load.js';
import { agentTrace, explainAgent, nodeTable, slaLines } from '../../agent/runtime/report.js';
import { show } from '../../agent/runtime/show.js';
import { AgentSession } from '../../agent/session.js';
import type { AgentPlan, AgentPolicy, AgentResult } from '../../agent/types.js';
import { Estimator } from '../../cost/estimator.js';
import { KernelHistory } from '../../cost/history.js';
import { type DeviceSpec, deviceKinds } from '../../runtime/devices.js';
import { stores } from '../../runtime/node-stores.js';

interface AgentCliOptions {
  input: string[];
  remote?: string;
  token?: string;
  ttft?: string;
  tpot?: string;
  deadline?: string;
  objective?: string;
  explain?: boolean;
  trace?: string;
  backend: string;
  json?: boolean;
  quiet?: boolean;
  example?: boolean;
  pin: string[];
  model: string[];
}

const collect = (v: string, prev: string[]) => [...prev, v];

function positive(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n > 0)) throw new Error(`${flag} must be a positive number of milliseconds, got '${v}'`);
  return n;
}

/** --input name=value, name=@file (bytes for images, text otherwise), or a bare value for a one-input graph. */
export function parseInputs(items: string[], declared: Record<string, { type?: string }>): Record<string, unknown> {
  const names = Object.keys(declared);
  const out: Record<string, unknown> = {};
  for (const item of items) {
    const m = /^([A-Za-z_][A-Za-z0-9_-]*)=([\s\S]*)$/.exec(item);
    let name: string, value: string;
    if (m && names.includes(m[1]!)) {
      name = m[1]!;
      value = m[2]!;
    } else if (names.length === 1) {
      name = names[0]!;
      value = item;
    } else
      throw new Error(
        `--input '${item}': say which input it is (name=value); the graph's inputs are ${names.join(', ') || '(none)'}`,
      );
    if (name in out) throw new Error(`--input ${name} is given twice`);
    const type = declared[name]?.type ?? 'text';
    let v: unknown = value;
    if (value.startsWith('@')) {
      const path = value.slice(1);
      if (!existsSync(path)) throw new Error(`--input ${name}: file ${path} does not exist`);
      v = type === 'image' ? new Uint8Array(readFileSync(path)) : readFileSync(path, 'utf8');
    }
    if (type === 'json' && typeof v === 'string') {
      try {
        v = JSON.parse(v);
      } catch (e) {
        throw new Error(`--input ${name}: not JSON (${(e as Error).message})`);
      }
    }
    out[name] = v;
  }
  return out;
}

/** --model name=location items, loaded (a folder, a file, a URL or hf:org/name[@revision]). */
async function loadModelFlags(items: string[], log: (s: string) => void): Promise<Record<string, LlmModel>> {
  const models: Record<string, LlmModel> = {};
  for (const item of items) {
    const m = /^([A-Za-z_][A-Za-z0-9_-]*)=(.+)$/.exec(item);
    if (!m)
      throw new Error(`--model ${item}: expected name=location (a folder, a file, a URL or hf:org/name[@revision])`);
    log(`loading model '${m[1]}' from ${m[2]}`);
    models[m[1]!] = await loadLlm(m[2]!, { name: m[1] });
  }
  return models;
}

/** `node@device` per node (prefill/decode apart when they differ), the chat route marked. */
function placementLine(ap: AgentPlan): string {
  return [...ap.placement]
    .map(([k, p]) => {
      const where = p.device ?? (p.prefill === p.decode ? p.prefill : `${p.prefill}/${p.decode}`);
      return `${k}@${where}${ap.llm.get(k)?.route === 'chat' ? ' (chat route)' : ''}`;
    })
    .join(', ');
}

export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description(
      'run an agent graph (YAML/JSON), planned over the local devices and an offload server, streaming the answer',
    )
    .argument('<graph>', 'agent graph file (.yaml or .json)')
    .option(
      '-i, --input <name=value>',
      'graph input (repeatable); name=@file reads a file; a bare value for a one-input graph',
      collect,
      [],
    )
    .option(
      '--remote <url>',
      'offload server to plan over as well (llm nodes whose model it serves may run there whole)',
    )
    .option(
      '--pin <node=device>',
      "place a node on a device whatever the plan prefers (repeatable): a device id, 'local' or 'remote'",
      collect,
      [],
    )
    .option(
      '--model <name=location>',
      'load a model of the graph from elsewhere (repeatable): a folder, a .gguf/.safetensors file, ' +
        'a URL or hf:org/name[@revision]',
      collect,
      [],
    )
    .option('--token <t>', 'bearer token for --remote (or SWITCHYARD_TOKEN)')
    .option('--ttft <ms>', 'time-to-first-token target for llm nodes')
    .option('--tpot <ms>', 'time-per-output-token target for llm nodes')
    .option('--deadline <ms>', 'end-to-end deadline')
    .option('--objective <o>', 'latency or cost', 'latency')
    .option(
      '-b, --backend <name>',
      "devices to plan over: 'auto' (all found) or one kind (reference, wasm, webgpu)",
      'auto',
    )
    .option('--explain', 'print the plan with reasons, predicted beside measured, and timelines')
    .option('--trace <file>', 'write a Chrome trace (Perfetto) of the run')
    .option('--json', 'print one JSON object (outputs, per-node records, plan) instead of streaming')
    .option('-q, --quiet', 'print only the answer')
    .option('--example', "make the bundled example's seeded models first when they are missing")
    .action(async (file: string, o: AgentCliOptions) => {
      const log = (s: string) => {
        if (!o.json && !o.quiet) console.error(s);
      };
      const policy: AgentPolicy = {
        ttftMs: positive('--ttft', o.ttft),
        tpotMs: positive('--tpot', o.tpot),
        deadlineMs: positive('--deadline', o.deadline),
        objective: o.objective as AgentPolicy['objective'],
      };
      if (policy.objective !== 'latency' && policy.objective !== 'cost')
        throw new Error(`--objective must be latency or cost, got '${o.objective}'`);
      const kinds =
        o.backend === 'auto'
          ? deviceKinds().filter((k) => k !== 'remote')
          : [o.backend === 'cpu' ? 'reference' : o.backend];
      const specs: DeviceSpec[] = [...new Set(kinds)].map((kind) => ({ kind: kind as DeviceSpec['kind'] }));
      if (o.remote) specs.push({ kind: 'remote', url: o.remote, token: o.token ?? process.env.SWITCHYARD_TOKEN });
      if (o.example) {
        await prepareExampleModels(file, log);
        log(
          'note: the example models have seeded random weights (nothing can be downloaded here), ' +
            'so the answer text is noise;',
        );
        log(
          '      what to watch is the pipeline: PII redaction, retrieval, the tool call, placement per device, ' +
            'TTFT/TPOT against the SLA',
        );
      }
      const t0 = performance.now();
      const models = await loadModelFlags(o.model, log);
      const { profiles, history } = stores();
      const session = await AgentSession.open(file, {
        discover: {
          devices: specs,
          calibration: 'cache',
          profiles,
          onProgress: (i, n, name) => log(`calibrating ${i}/${n} ${name}`),
        },
        // 'auto' leaves a software WebGPU adapter out; --backend webgpu plans on it
        dropSoftwareAdapters: o.backend === 'auto',
        onNote: (n) => log(n.startsWith('offload: ') ? n : `note: ${n}`),
        onProgress: log,
        models,
        policy,
        // a device the graph never ran on is not trusted to beat measured ones (as the runtime's re-plans)
        estimator: new Estimator(new KernelHistory(history, 0.3, 'pessimistic')),
      });
      const graph = session.graph;
      const devices = session.entries.map((e) => `${e.device.id} (${e.device.kind})`).join(', ');
      log(`loaded ${file} in ${(performance.now() - t0).toFixed(0)} ms; devices: ${devices}`);
      const inputs = parseInputs(o.input, graph.spec.inputs ?? {});
      for (const p of o.pin) {
        const m = /^([A-Za-z_][A-Za-z0-9_-]*)=(.+)$/.exec(p);
        if (!m || !graph.nodes.has(m[1]!))
          throw new Error(
            `--pin ${p}: expected node=device with a node of the graph (${[...graph.nodes.keys()].join(', ')})`,
          );
        try {
          session.pin(m[1]!, m[2]!);
        } catch (e) {
          throw new Error(`--pin ${p}: ${(e as Error).message}`);
        }
      }
      const ap = session.plan;
      if (!ap.plan.feasible)
        log(`warning: no plan meets the targets (${ap.plan.reason}); running the best placement found`);
      log(`plan: ${placementLine(ap)}`);
      // as the tool loop unrolls, what was measured so far re-plans the rest of the run (the session does it)
      const run = session.run({ inputs });
      const streamed = new Set<string>();
      let result: AgentResult;
      try {
        for await (const e of run) {
          if (o.json) continue;
          if (e.type === 'token' && e.node === graph.outputs[0]) {
            process.stdout.write(e.text);
            streamed.add(e.node);
          } else if (e.type === 'loop') log(`\n[loop ${e.from} -> ${e.to}, iteration ${e.iteration}]`);
          else if (e.type === 'warning') log(`warning: ${e.message}`);
        }
        result = await run.result;
      } finally {
        await session.dispose();
      }
      const sla = {
        ttftMs: policy.ttftMs ?? graph.spec.sla?.ttftMs,
        tpotMs: policy.tpotMs ?? graph.spec.sla?.tpotMs,
        deadlineMs: policy.deadlineMs ?? graph.spec.sla?.deadlineMs,
      };
      if (o.trace) writeFileSync(o.trace, JSON.stringify(agentTrace(result, ap)));
      if (o.json) {
        console.log(
          JSON.stringify({
            graph: file,
            text: result.text,
            outputs: Object.fromEntries(
              Object.entries(result.outputs).map(([k, v]) => [
                k,
                v instanceof Float32Array ? Array.from(v) : typeof v === 'object' && v && 'dims' in v ? show(v) : v,
              ]),
            ),
            totalMs: result.totalMs,
            ttftMs: result.ttftMs,
            tpotMs: result.tpotMs,
            sla,
            records: result.records,
            warnings: result.warnings,
            plan: {
              feasible: ap.plan.feasible,
              makespanMs: ap.plan.makespanMs,
              assignments: ap.plan.assignments,
              placement: Object.fromEntries(ap.placement),
            },
          }),
        );
        return;
      }
      if (!streamed.size) process.stdout.write(result.text);
      process.stdout.write('\n');
      if (o.quiet) return;
      log('');
      log(nodeTable(result));
      for (const l of slaLines(result, sla)) log(l);
      if (o.explain) {
        log('');
        log(explainAgent(ap, result));
      }
      if (o.trace) log(`trace written to ${o.trace} (open it in Perfetto)`);
    });
}
