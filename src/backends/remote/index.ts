// The client side of the offload protocol. The 'remote' whole-graph backend is in
// src/runtime/remote-backend.ts and the device provider for backend 'auto' in
// src/runtime/remote-provider.ts.

export { RemoteDevice, type RemoteDeviceOptions, type RemoteRunRecord } from './device.js';
export { RemoteClient, RemoteError, type RemoteClientOptions, type TransferStats } from './client.js';
