/** Notifier over SNS: one topic for rollout results. */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Notifier } from '../ports.ts';
import { awsCall } from './aws-errors.ts';

/** SNS subjects: at most 100 printable ASCII characters, no line breaks. */
export function snsSubject(subject: string): string {
  const clean = subject.replace(/[^\x20-\x7e]/g, ' ').trim();
  return clean.length <= 100 ? clean : `${clean.slice(0, 97)}...`;
}

export function createSnsNotifier(topicArn: string, client: Pick<SNSClient, 'send'> = new SNSClient({})): Notifier {
  return {
    async publish(subject, message, attributes = {}) {
      await awsCall(`SNS Publish ${topicArn}`, () =>
        client.send(
          new PublishCommand({
            TopicArn: topicArn,
            Subject: snsSubject(subject),
            Message: message,
            MessageAttributes: Object.fromEntries(
              Object.entries(attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]),
            ),
          }),
        ),
      );
    },
  };
}
