// The kernel dialect (k.*): what lowering produces and backends implement.

import './elementwise.js';
import './matmul.js';
import './conv.js';
import './softmax.js';
import './reduce.js';
import './normalization.js';
