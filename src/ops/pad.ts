// (placeholder: this op family is being written)

import { registerOps } from '../ir/op-def.js';

registerOps([]);
