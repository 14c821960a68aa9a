// Every kernel family registers itself here (one file per family, each with its template in shaders/).
import './elementwise.js';
import './layout.js';
import './matmul.js';
import './reduce.js';
import './kernel-ops.js';
import './conv.js';
import './quantize.js';
