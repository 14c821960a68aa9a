// Every kernel family registers itself here: one file per op family, named after the
// src/ops/<family>.ts that defines its ops (shared templates and helpers live in lib/).
import './activation.js';
import './argmax.js';
import './bitwise.js';
import './cast.js';
import './concat-split.js';
import './conv.js';
import './cumsum.js';
import './elementwise.js';
import './elementwise-binary.js';
import './elementwise-unary.js';
import './gather.js';
import './logical.js';
import './matmul.js';
import './normalization.js';
import './onehot.js';
import './pad.js';
import './pool.js';
import './quantize.js';
import './rearrange.js';
import './reduce.js';
import './shape.js';
import './slice.js';
import './softmax.js';
import './tile.js';
import './topk.js';
import './trilu.js';
