/**
 * The one queue type between the agent's stages: first in, first out, with a fixed capacity. A stage
 * hands an item on only when the next queue has room (`isFull()`), so what the agent holds in memory
 * is bounded by the sum of the capacities; pushing onto a full queue is a programming error and throws.
 */
export interface BoundedQueue<T> {
  readonly capacity: number;
  readonly size: number;
  isFull(): boolean;
  /** The item `index` places from the head (0: the oldest), left in the queue. */
  at(index: number): T | undefined;
  push(item: T): void;
  /** Removes and returns the oldest item. */
  shift(): T | undefined;
}

export function createBoundedQueue<T>(capacity: number): BoundedQueue<T> {
  if (!Number.isSafeInteger(capacity) || capacity < 1) {
    throw new RangeError(`queue capacity: expected an integer >= 1, got ${capacity}`);
  }
  const items: T[] = [];
  return {
    capacity,
    get size() {
      return items.length;
    },
    isFull: () => items.length >= capacity,
    at: (index) => items[index],
    push(item) {
      if (items.length >= capacity) throw new RangeError(`queue full (capacity ${capacity}): check isFull() first`);
      items.push(item);
    },
    shift: () => items.shift(),
  };
}
