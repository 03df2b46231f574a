/**
 * Keep-alive connections to FHIR servers, shared by all requests of the service: one
 * http(s).Agent per origin. Created once at start-up (deps), closed at shutdown.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

export interface FhirAgentsOptions {
  /** Concurrent sockets per FHIR server origin; further requests queue. Default 32. */
  maxSocketsPerOrigin?: number;
  /** Idle keep-alive sockets kept per origin. Default 16. */
  maxFreeSocketsPerOrigin?: number;
  /** An idle socket is closed after this long. Default 15 000 ms. */
  idleTimeoutMs?: number;
  /** Origins kept; the least recently used is closed beyond this. Default 64. */
  maxOrigins?: number;
}

export interface FhirAgentStats {
  origins: number;
  /** Sockets carrying a request now. */
  active: number;
  /** Idle keep-alive sockets. */
  idle: number;
  /** Requests waiting for a socket. */
  queued: number;
}

function count(map: NodeJS.ReadOnlyDict<unknown[]>): number {
  let n = 0;
  for (const list of Object.values(map)) n += list?.length ?? 0;
  return n;
}

export class FhirAgents {
  private readonly agents = new Map<string, HttpAgent>();
  private readonly opts: Required<FhirAgentsOptions>;
  private closed = false;

  constructor(opts: FhirAgentsOptions = {}) {
    this.opts = {
      maxSocketsPerOrigin: opts.maxSocketsPerOrigin ?? 32,
      maxFreeSocketsPerOrigin: opts.maxFreeSocketsPerOrigin ?? 16,
      idleTimeoutMs: opts.idleTimeoutMs ?? 15_000,
      maxOrigins: opts.maxOrigins ?? 64,
    };
  }

  /** The agent for `url`'s origin (created on first use). */
  agentFor(url: URL): HttpAgent {
    if (this.closed) throw new Error('FhirAgents is closed');
    const origin = url.origin;
    const existing = this.agents.get(origin);
    if (existing) {
      // Map order is insertion order: re-insert to mark as recently used.
      this.agents.delete(origin);
      this.agents.set(origin, existing);
      return existing;
    }
    const options = {
      keepAlive: true,
      maxSockets: this.opts.maxSocketsPerOrigin,
      maxFreeSockets: this.opts.maxFreeSocketsPerOrigin,
      timeout: this.opts.idleTimeoutMs,
      scheduling: 'lifo' as const,
    };
    const agent = url.protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options);
    this.agents.set(origin, agent);
    while (this.agents.size > this.opts.maxOrigins) {
      const [oldest, old] = this.agents.entries().next().value as [string, HttpAgent];
      this.agents.delete(oldest);
      old.destroy();
    }
    return agent;
  }

  stats(): FhirAgentStats {
    let active = 0;
    let idle = 0;
    let queued = 0;
    for (const agent of this.agents.values()) {
      active += count(agent.sockets);
      idle += count(agent.freeSockets);
      queued += count(agent.requests);
    }
    return { origins: this.agents.size, active, idle, queued };
  }

  /** Closes every socket; later use throws. */
  close(): void {
    this.closed = true;
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}
