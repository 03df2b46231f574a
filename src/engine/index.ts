export type { ServiceCallEngine, InProcessEngineOptions } from './engine.js';
export { InProcessEngine } from './engine.js';
export { createEngine, type EngineConfig } from './create-engine.js';
export { WorkerEngine, type WorkerEngineOptions } from './worker-engine.js';
export { WorkerPool, type PoolMember } from './worker-pool.js';
