// Control flow on a kernel backend: the node runs from the host (the loop, the branch choice, the
// slicing of scan inputs), and each subgraph run goes to the backend's own prepared model of that
// subgraph, so the body's kernels run on the device. Bodies are prepared once, on first use.

import type { NodeDelegate } from '../backends/reference/device.js';
import { Graph, type Node } from '../ir/graph.js';
import { attrsOf, nodeError, opDefOf } from '../ir/infer.js';
import { lookupOp } from '../ir/op-def.js';
import type { RunValue } from '../ir/values.js';
import { driveStepsAsync } from '../ops/subgraph.js';
import type { PreparedModel } from './backend.js';

export class HostControlFlow implements NodeDelegate {
  private bodies = new Map<Graph, Promise<PreparedModel>>();
  /** Ops of the bodies that ran on the host instead of the device, with the reason. */
  readonly fallbacks = new Map<string, string>();

  constructor(private readonly prepareBody: (g: Graph) => Promise<PreparedModel>) {}

  /** A node this runs: one whose op is written as steps (If, Loop, Scan, SequenceMap). */
  handles(node: Node): boolean {
    return !!lookupOp(node.op)?.steps;
  }

  async run(node: Node, inputs: (RunValue | undefined)[]): Promise<RunValue[]> {
    const def = opDefOf(node);
    try {
      return await driveStepsAsync(def.steps!({ node, attrs: attrsOf(node), inputs }), async (c) => {
        const body = await this.body(c.graph, node);
        return body.runValues!([...c.inputs, ...c.captures] as RunValue[]);
      });
    } catch (e) {
      throw nodeError(node, e);
    }
  }

  private body(g: Graph, owner: Node): Promise<PreparedModel> {
    let p = this.bodies.get(g);
    if (!p) {
      // the body as a graph of its own: captures become inputs after its own inputs. The kernel
      // passes replace this graph's node list, not the body's: the IR keeps the body's nn form
      const whole = new Graph(g.name);
      whole.inputs = [...g.inputs, ...g.captures];
      whole.nodes = [...g.nodes];
      whole.outputs = g.outputs;
      whole.opsets = g.opsets;
      p = this.prepareBody(whole).then((m) => {
        for (const [op, why] of m.fallbacks ?? []) this.fallbacks.set(`${op} (in a ${owner.op} body)`, why);
        return m;
      });
      this.bodies.set(g, p);
    }
    return p;
  }

  async release(): Promise<void> {
    // a body that failed to prepare (its run reported the error) has nothing to release
    for (const p of this.bodies.values()) await (await p.catch(() => undefined))?.release();
    this.bodies.clear();
  }
}
