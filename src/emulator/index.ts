// In-process kcp topology emulator: a root shard plus N shards over HTTPS, for tests, demos and harnesses.
export { startTopology } from './topology.js'
export type * from './types.js'
export { startIssuer, type EmulatedIssuer } from './issuer.js'
