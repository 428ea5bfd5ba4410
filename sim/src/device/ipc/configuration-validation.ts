/**
 * Proposed configurations waiting for the component's verdict: the nucleus sends a
 * ValidateConfigurationUpdateEvents to the component's validation streams and waits for a
 * SendConfigurationValidityReport with the same deployment id, at most the deployment's
 * configuration validation timeout.
 */
import { LocalModeError } from '../../errors.ts';
import { jsonApplicationMessage } from './event-stream-wire.ts';
import type { SubscriptionStream } from './ipc-subscriptions.ts';

export interface ValidityReport {
  readonly deploymentId: string;
  readonly status: 'ACCEPTED' | 'REJECTED';
  /** Why the component rejected the configuration. */
  readonly message?: string;
}

interface Pending {
  readonly resolve: (report: ValidityReport) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class ConfigurationValidation {
  readonly #pending = new Map<string, Pending>();

  /** Sends the proposal to `streams`; resolves with the report for `deploymentId`. */
  propose(
    component: string,
    streams: readonly SubscriptionStream[],
    configuration: Readonly<Record<string, unknown>>,
    deploymentId: string,
    timeoutMs: number,
  ): Promise<ValidityReport> {
    if (this.#pending.has(deploymentId)) {
      return Promise.reject(
        new LocalModeError('IPC_VALIDATION_PENDING', `deployment ${deploymentId} is already being validated`),
      );
    }
    const report = new Promise<ValidityReport>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(deploymentId);
        reject(
          new LocalModeError(
            'IPC_VALIDATION_TIMEOUT',
            `${component} sent no validity report for deployment ${deploymentId} within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.#pending.set(deploymentId, { resolve, reject, timer });
    });
    for (const s of streams) {
      s.send(
        jsonApplicationMessage(s.streamId, 'aws.greengrass#ValidateConfigurationUpdateEvents', {
          validateConfigurationUpdateEvent: { componentName: component, configuration, deploymentId },
        }),
      );
    }
    return report;
  }

  /** A component's report; false when no proposal waits for its deployment id. */
  report(report: ValidityReport): boolean {
    const pending = this.#pending.get(report.deploymentId);
    if (!pending) return false;
    this.#pending.delete(report.deploymentId);
    clearTimeout(pending.timer);
    pending.resolve(report);
    return true;
  }

  /** Fails every waiting proposal (the server closes). */
  cancelAll(reason: string): void {
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(new LocalModeError('IPC_VALIDATION_CANCELLED', `deployment ${id}: ${reason}`));
    }
    this.#pending.clear();
  }
}
