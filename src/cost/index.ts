// The cost model: device profiles, hardware catalog, roofline, history, transfers, calibration.
// Browser-safe: the Node-only file stores live in history-file.ts and calibrate/cache.ts.

export * from './calibrate/calibrator.js';
export { JsCpuCalibrator } from './calibrate/js-cpu.js';
export { CPUS, catalog, findProfile, GPUS, getProfile, LOCAL, SRC } from './catalog/index.js';
export * from './device-fit.js';
export * from './estimator.js';
export * from './figure.js';
export * from './first-run.js';
export * from './history.js';
export * from './profile.js';
export * from './roofline.js';
export * from './signature.js';
export * from './transfer.js';
export * from './work.js';
