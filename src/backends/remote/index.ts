// The client side of the offload protocol. The 'remote' whole-graph backend is in
// src/runtime/remote-backend.ts and the device provider for backend 'auto' in
// src/runtime/remote-provider.ts.

export { RemoteClient, type RemoteClientOptions, RemoteError, type TransferStats } from './client.js';
export { RemoteDevice, type RemoteDeviceOptions, type RemoteRunRecord } from './device.js';
