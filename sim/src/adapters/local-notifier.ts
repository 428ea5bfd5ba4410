/** The Notifier port, locally: keeps every notification (the SNS topic's messages) and hands each to a listener. */
import type { Notifier } from '@edgeqc/orchestrator/ports';

export interface LocalNotification {
  readonly subject: string;
  readonly message: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly at: Date;
}

export class LocalNotifier implements Notifier {
  readonly notifications: LocalNotification[] = [];
  readonly #onPublish: ((n: LocalNotification) => void) | undefined;

  constructor(onPublish?: (n: LocalNotification) => void) {
    this.#onPublish = onPublish;
  }

  async publish(subject: string, message: string, attributes: Readonly<Record<string, string>> = {}): Promise<void> {
    const n = { subject, message, attributes, at: new Date() };
    this.notifications.push(n);
    this.#onPublish?.(n);
  }
}
