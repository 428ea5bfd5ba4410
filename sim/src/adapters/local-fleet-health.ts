/** The FleetHealth port over the local broker: each device's retained status, as the fleet observer last saw it. */
import type { FleetHealth } from '@edgeqc/orchestrator/ports';
import type { FleetObserver } from '../mqtt/fleet-observer.ts';

export class LocalFleetHealth implements FleetHealth {
  readonly #observer: FleetObserver;

  constructor(observer: FleetObserver) {
    this.#observer = observer;
  }

  async retainedStatus(thingName: string): Promise<unknown> {
    return this.#observer.status(thingName);
  }
}
