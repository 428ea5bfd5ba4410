/**
 * How the agent's loops wait: a loop naps for a tick, or less when another stage pokes it because
 * something it waits for may have changed (a job finished its intake, a decision was made, a model
 * loaded, the agent stops).
 */

/** A loop with nothing to do looks again after this long even when nobody pokes it. */
export const TICK_MS = 250;

export interface Wakeup {
  /** Wakes the loops napping now. */
  poke(): void;
  /** Resolves after `ms`, or earlier on a poke. */
  nap(ms: number): Promise<void>;
}

export function createWakeup(): Wakeup {
  let wake: (() => void) | undefined;
  return {
    poke() {
      const w = wake;
      wake = undefined;
      w?.();
    },
    nap: (ms) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        const previous = wake;
        wake = done;
        function done() {
          clearTimeout(timer);
          if (wake === done) wake = undefined;
          previous?.();
          resolve();
        }
      }),
  };
}
