// The offload wire format shared by the client (src/backends/remote) and the server (src/server).

export * from './errors.js';
export * from './framing.js';
export * from './graph-wire.js';
export * from './hash.js';
export * from './llm.js';
export * from './profile.js';
export * from './routes.js';
export * from './schemas.js';
export * from './version.js';
