// String ops and TfIdfVectorizer against onnxruntime-node: each case is written in the text form,
// exported to ONNX and run on both.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.js';
import { interpret } from '../../src/backends/reference/interpreter.js';
import { exportOnnx } from '../../src/frontend/onnx/export.js';
import { parseGraph } from '../../src/ir/parser.js';
import { Tensor } from '../../src/ir/tensor.js';
import { runPipeline } from '../../src/passes/index.js';
import { ortRun } from '../helpers/ort.js';

async function same(text: string, feeds: Record<string, Tensor>): Promise<Tensor[]> {
  const g = parseGraph(text);
  runPipeline(g, ['shape-inference']);
  const mine = interpret(
    g,
    g.inputs.map((v) => feeds[v.name]!),
  );
  const theirs = await ortRun(exportOnnx(g, { opset: g.opsets[''] }), feeds);
  g.outputs.forEach((v, i) => {
    const t = theirs[v.name]!;
    assert.equal(mine[i]!.type, t.type, v.name);
    assert.deepEqual(mine[i]!.dims, t.dims, `${v.name} dims`);
    assert.deepEqual(
      Array.from(mine[i]!.data as ArrayLike<unknown>),
      Array.from(t.data as ArrayLike<unknown>),
      `${v.name} values`,
    );
  });
  return mine;
}

const str = (xs: string[], dims = [xs.length]) => new Tensor('string', xs, dims);

test('StringNormalizer: stopwords (case-insensitive or not), case change, every word a stopword', async () => {
  const words = str(['Monday', 'tuesday', 'WEDNESDAY', 'monday', 'Thursday']);
  for (const [attrs, x] of [
    // onnxruntime needs a locale it can construct here: "C"
    ['case_change_action = "UPPER", locale = "C", stopwords = ["monday"]', words],
    ['case_change_action = "LOWER", is_case_sensitive = 1, locale = "C", stopwords = ["monday", "Thursday"]', words],
    ['case_change_action = "NONE", locale = "C"', words],
    ['locale = "C", stopwords = ["a", "b"]', str(['A', 'b'])],
  ] as const) {
    await same(
      `graph @"n"(%x: str[${x.size}]) -> (?) opsets {"": 10} {
  %y = nn.StringNormalizer %x {${attrs}} : (str[${x.size}]) -> ?
  return %y
}
`,
      { x },
    );
  }
});

test('StringSplit, StringConcat and RegexFullMatch', async () => {
  const x = str(['a,b,,c', ' two  words ', 'x,', 'one'], [2, 2]);
  const [y, z] = await same(
    `graph @"s"(%x: str[2,2]) -> (?, ?) opsets {"": 20} {
  %y, %z = nn.StringSplit %x {delimiter = ","} : (str[2,2]) -> (?, ?)
  return %y, %z
}
`,
    { x },
  );
  assert.deepEqual(y!.dims, [2, 2, 4]);
  assert.deepEqual(z!.toNumbers(), [4, 1, 2, 1]);
  // an empty string split at a delimiter is one empty piece, as in Python and the ONNX reference
  // (onnxruntime 1.30 says 0 pieces, so this case is checked on its own)
  const g = parseGraph(`graph @"e"(%x: str[1]) -> (?, ?) opsets {"": 20} {
  %y, %z = nn.StringSplit %x {delimiter = ","} : (str[1]) -> (?, ?)
  return %y, %z
}
`);
  runPipeline(g, ['shape-inference']);
  const [ey, ez] = interpret(g, [str([''])]);
  assert.deepEqual([ey!.data, ey!.dims, ez!.toNumbers()], [[''], [1, 1], [1]]);
  await same(
    `graph @"w"(%x: str[2,2]) -> (?, ?) opsets {"": 20} {
  %y, %z = nn.StringSplit %x {maxsplit = 1} : (str[2,2]) -> (?, ?)
  return %y, %z
}
`,
    { x },
  );
  await same(
    `graph @"c"(%a: str[2,2], %b: str[2]) -> (?) opsets {"": 20} {
  %c = nn.StringConcat %a, %b : (str[2,2], str[2]) -> ?
  return %c
}
`,
    { a: x, b: str(['!', 'é✓']) },
  );
  await same(
    `graph @"r"(%x: str[4]) -> (?) opsets {"": 20} {
  %m = nn.RegexFullMatch %x {pattern = "[a-z]+@(gmail|yahoo)\\\\.com"} : (str[4]) -> ?
  return %m
}
`,
    { x: str(['me@gmail.com', 'x me@gmail.com', 'you@yahoo.com', 'a@b.org']) },
  );
});

test('TfIdfVectorizer: skip-grams over an integer pool in TF, IDF and TFIDF modes; a string pool', async () => {
  const x = Tensor.from('int64', [2, 3, 5, 4, 4, 5, 6, 7, 8, 6, 7, 8, 2, 3, 4, 5], [2, 8]);
  for (const mode of ['TF', 'IDF', 'TFIDF']) {
    for (const skip of [0, 2]) {
      await same(
        `graph @"t"(%x: i64[2,8]) -> (?) opsets {"": 9} {
  %y = nn.TfIdfVectorizer %x {max_gram_length = 2, max_skip_count = ${skip}, min_gram_length = 1, mode = "${mode}", ngram_counts = [0, 4], ngram_indexes = [0, 1, 2, 3, 4, 5, 6], pool_int64s = [2, 3, 5, 4, 5, 6, 7, 8, 6, 7], weights = [0.5, 1.0, 2.0, 0.25, 3.0, 1.5, 4.0]} : (i64[2,8]) -> ?
  return %y
}
`,
        { x },
      );
    }
  }
  await same(
    `graph @"t"(%x: str[6]) -> (?) opsets {"": 9} {
  %y = nn.TfIdfVectorizer %x {max_gram_length = 2, max_skip_count = 1, min_gram_length = 2, mode = "TF", ngram_counts = [0, 2], ngram_indexes = [2, 0, 1, 3], pool_strings = ["a", "b", "a", "b", "c", "a"]} : (str[6]) -> ?
  return %y
}
`,
    { x: str(['a', 'x', 'b', 'c', 'a', 'b']) },
  );
});
