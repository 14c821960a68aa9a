// Registers every op family. Import this once (src/index.ts does) before building or importing graphs.

import './elementwise-unary.js';
import './elementwise-binary.js';
import './activation.js';
import './logical.js';
