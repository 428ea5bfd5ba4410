/**
 * Gives the memory of a request's image back as soon as the inspection's work has ended, instead of at
 * some later major garbage collection. An inline bitmap or a shared-memory read is several MB held for
 * the request's whole life, so it outlives the young generation, and V8 lets tens of MB of such dead
 * buffers wait for a full collection: under many inline gRPC requests that is what raised the agent's RSS.
 *
 * (A shared-memory read goes back to its pool instead: pixel-buffer-pool.ts.) An inline bitmap is a view into the
 * buffer grpc-js built for that one call's message: the same bytes plus the gRPC framing and the other
 * fields of the request (the model component's name, the sizes), at most FRAMING_BYTES more. Anything
 * else (a view into a buffer with other data, Node's pool of small Buffers) is left to the collector.
 */
import { releaseMemory } from '../release-memory.ts';

/** What a DetectAnomalies message may hold beside its bitmap (framing, names, sizes, mask parameters). */
export const FRAMING_BYTES = 4096;

/** Releases the buffer under `bytes` when `bytes` is all of it but the framing; after it, `bytes` is empty. */
export function releaseImageBytes(bytes: Uint8Array): void {
  const { buffer } = bytes;
  if (!(buffer instanceof ArrayBuffer) || buffer.detached) return;
  if (bytes.byteLength <= FRAMING_BYTES || buffer.byteLength - bytes.byteLength > FRAMING_BYTES) return;
  releaseMemory(new Uint8Array(buffer));
}
