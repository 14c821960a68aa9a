// Vector indexes: the exact index (MatMul + TopK through a Session) against a brute-force JS
// ranking for every metric, HNSW recall@10 against the exact index, persistence of both, and the
// bad inputs (wrong dimensions, non-finite values, a file that is not an index).

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import '../../src/index.js';
import { normalSampler } from '../../src/agent/llm/synthetic.js';
import { ExactIndex } from '../../src/agent/retrieval/exact.js';
import { HnswIndex } from '../../src/agent/retrieval/hnsw.js';
import { loadIndex, saveIndex } from '../../src/agent/retrieval/persist.js';
import { type Metric, recallAtK } from '../../src/agent/retrieval/types.js';
import { writeSafetensors } from '../../src/frontend/weights/safetensors.js';
import { Tensor } from '../../src/ir/tensor.js';

const vectors = (n: number, d: number, seed: number) => {
  const r = normalSampler(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: d }, r));
};
const doc = (i: number) => ({ id: `d${i}`, text: `document ${i}` });

function bruteForce(docs: Float32Array[], q: Float32Array, k: number, metric: Metric): number[] {
  const score = (v: Float32Array) => {
    if (metric === 'l2') return -v.reduce((a, x, i) => a + (x - q[i]!) ** 2, 0);
    const dot = v.reduce((a, x, i) => a + x * q[i]!, 0);
    return metric === 'dot' ? dot : dot / (Math.hypot(...v) * Math.hypot(...q));
  };
  return docs
    .map((v, i) => [score(v), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, k)
    .map((x) => x[1]);
}

describe('exact index', () => {
  for (const metric of ['cosine', 'dot', 'l2'] as const) {
    it(`${metric}: the same top-k as a brute-force ranking, scores included`, async () => {
      const docs = vectors(300, 16, 1),
        qs = vectors(5, 16, 2);
      const ix = new ExactIndex(16, { metric });
      docs.forEach((v, i) => ix.add(v, doc(i)));
      const hits = await ix.searchBatch(qs, 7);
      qs.forEach((q, i) =>
        assert.deepEqual(
          hits[i]!.map((h) => h.index),
          bruteForce(docs, q, 7, metric),
        ),
      );
      if (metric === 'l2') {
        const h = hits[0]![0]!;
        const d2 = docs[h.index]!.reduce((a, x, j) => a + (x - qs[0]![j]!) ** 2, 0);
        assert.ok(Math.abs(h.score + d2) < 1e-3, 'l2 scores are minus the squared distance');
      }
    });
  }
  it('k larger than the index returns everything; an empty index returns nothing', async () => {
    const ix = new ExactIndex(4);
    assert.deepEqual(await ix.search([1, 0, 0, 0], 3), []);
    ix.add([1, 0, 0, 0], doc(0));
    ix.add([0, 1, 0, 0], doc(1));
    assert.deepEqual(
      (await ix.search([1, 0, 0, 0], 10)).map((h) => h.doc.id),
      ['d0', 'd1'],
    );
  });
  it('wrong dimensions and non-finite values are refused with the document named', () => {
    const ix = new ExactIndex(4);
    assert.throws(() => ix.add([1, 2, 3], doc(3)), /document 'd3': vector has 3 dimensions, the index has 4/);
    assert.throws(() => ix.add([1, NaN, 3, 4], doc(4)), /document 'd4': vector element 1 is NaN/);
  });
});

describe('HNSW', () => {
  it('recall@10 against the exact index is high on 2000 random vectors', async () => {
    const docs = vectors(2000, 24, 3),
      qs = vectors(40, 24, 4);
    const ex = new ExactIndex(24),
      hn = new HnswIndex(24, { M: 12, efConstruction: 100, efSearch: 64, seed: 1 });
    docs.forEach((v, i) => {
      ex.add(v, doc(i));
      hn.add(v, doc(i));
    });
    const exact = await ex.searchBatch(qs, 10);
    const approx = await Promise.all(qs.map((q) => hn.search(q, 10)));
    const recall = recallAtK(approx, exact, 10);
    assert.ok(recall >= 0.9, `recall@10 = ${recall}`);
    assert.ok(
      recallAtK(
        qs.map((q) => hn.searchSync(q, 10, 10)),
        exact,
      ) <=
        recall + 1e-9,
      'a narrower search finds no more',
    );
  });
  it('builds are reproducible under a seed', () => {
    const docs = vectors(200, 8, 5);
    const a = new HnswIndex(8, { seed: 9 }),
      b = new HnswIndex(8, { seed: 9 });
    docs.forEach((v, i) => {
      a.add(v, doc(i));
      b.add(v, doc(i));
    });
    assert.deepEqual(a.links, b.links);
  });
});

describe('persistence', () => {
  it('HNSW and exact indexes load back with the same answers and documents', async () => {
    const docs = vectors(500, 12, 6),
      qs = vectors(10, 12, 7);
    const hn = new HnswIndex(12, { metric: 'l2', M: 8, seed: 2 }),
      ex = new ExactIndex(12, { metric: 'dot' });
    docs.forEach((v, i) => {
      hn.add(v, { ...doc(i), meta: { n: i } });
      ex.add(v, doc(i));
    });
    const hn2 = loadIndex(saveIndex(hn), 'h.index'),
      ex2 = loadIndex(saveIndex(ex), 'e.index');
    assert.equal(hn2.kind, 'hnsw');
    assert.equal(hn2.metric, 'l2');
    assert.deepEqual(hn2.docs[3], { id: 'd3', text: 'document 3', meta: { n: 3 } });
    for (const q of qs) {
      assert.deepEqual(
        (await hn2.search(q, 5)).map((h) => h.index),
        (await hn.search(q, 5)).map((h) => h.index),
      );
      assert.deepEqual(
        (await ex2.search(q, 5)).map((h) => h.index),
        (await ex.search(q, 5)).map((h) => h.index),
      );
    }
    hn2.add(docs[0]!, doc(999));
    assert.equal(hn2.size, 501, 'a loaded index takes more documents');
  });
  it('a file that is not an index, or a damaged one, is refused', () => {
    assert.throws(
      () => loadIndex(writeSafetensors({ w: new Tensor('float32', [1], [1]) }), 'w.safetensors'),
      /w\.safetensors: not a Switchyard index/,
    );
    const ix = new ExactIndex(2);
    ix.add([1, 0], doc(0));
    const bytes = saveIndex(ix);
    assert.throws(() => loadIndex(bytes.subarray(0, bytes.length - 4), 'cut.index'), /cut\.index: tensor 'vectors'/);
  });
});
