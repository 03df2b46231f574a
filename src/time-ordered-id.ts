import { randomUUID } from 'node:crypto';

/**
 * A UUIDv7 (RFC 9562 §5.7): 48 bits of Unix milliseconds, then the version, then 74 random bits
 * taken from Node's pooled `randomUUID`, which does not ask the OS for entropy on every call. Card
 * ids that grow with time keep the store's index on them append-only
 * (docs/decisions/0004-uuidv7-card-ids.md).
 */
export function timeOrderedId(now: number = Date.now()): string {
  const random = randomUUID(); // xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx, V ∈ 8..b (the RFC variant)
  const ms = now.toString(16).padStart(12, '0');
  return `${ms.slice(0, 8)}-${ms.slice(8, 12)}-7${random.slice(15)}`;
}
