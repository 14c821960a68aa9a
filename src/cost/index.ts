// The cost model: device profiles, hardware catalog, roofline, history, transfers, calibration.
// Browser-safe: the Node-only file stores live in history-file.ts and calibrate/cache.ts.

export * from './figure.js';
export * from './profile.js';
export * from './roofline.js';
export * from './work.js';
export * from './transfer.js';
export * from './signature.js';
export * from './history.js';
export * from './estimator.js';
export * from './calibrate/calibrator.js';
export { JsCpuCalibrator } from './calibrate/js-cpu.js';
export { catalog, findProfile, getProfile, GPUS, CPUS, LOCAL, SRC } from './catalog/index.js';
export * from './device-fit.js';
export * from './first-run.js';
