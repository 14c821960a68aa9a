// Registers every op family (one file each). Import this once (src/index.ts does) before building
// or importing graphs.

import './elementwise-unary.js';
import './elementwise-binary.js';
import './activation.js';
import './logical.js';
import './cast.js';
import './generators.js';
import './shape.js';
import './slice.js';
import './concat-split.js';
import './pad.js';
import './tile.js';
import './gather.js';
import './scatter.js';
import './matmul.js';
import './einsum.js';
import './reduce.js';
import './argmax.js';
import './softmax.js';
import './topk.js';
import './cumsum.js';
import './control-flow.js';
import './sequence.js';
import './optional.js';
import './string.js';
import './tfidf.js';
import './trilu.js';
import './quantize.js';
import './conv.js';
import './pool.js';
import './normalization.js';
import './resize.js';
import './attention.js';
import './rotary.js';
import './kernel/index.js';
import './agent.js';
