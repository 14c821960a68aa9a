// backend: 'reference' — the whole graph as one unit on the reference interpreter, every result
// checked against its node's shape/type rule: the oracle every other backend is tested against.
import { ReferenceDevice } from '../../backends/reference/device.js';
import type { Backend } from '../backend.js';
import { prepareOnDevice } from '../single-device.js';

export const referenceBackend: Backend = {
  name: 'reference',
  prepare: (graph) => prepareOnDevice(graph, new ReferenceDevice({ id: 'cpu', checkResults: true })),
};
