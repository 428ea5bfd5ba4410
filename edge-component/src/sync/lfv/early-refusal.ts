/**
 * DetectAnomalies refused while its headers arrive, before its bitmap does, when the service's queue
 * would refuse it anyway (InspectionService.reserveArrival). grpc-js calls a unary handler only after
 * it has received the whole message: an inline bitmap of several MB is read in many HTTP/2 chunks,
 * copied into one buffer and decoded, and under overload most of that work and memory went to requests
 * that were then refused. Refused here, such a request costs a trailers-only answer
 * (RESOURCE_EXHAUSTED with SYNC_QUEUE_FULL and grpc-retry-pushback-ms, as a refusal by the handler)
 * and its bytes are never decoded.
 *
 * The size a request will hold is not known from its headers: the estimate is the bitmap size of the
 * last DetectAnomalies received (0 for shared memory). The reservation is given up when the message has
 * arrived, just before the handler queues it for real, or when the call ends first.
 */
import { ServerInterceptingCall, type ServerInterceptor } from '@grpc/grpc-js';
import { SyncCode, SyncInspectionError } from '../../errors.ts';
import type { InspectionService } from '../inspection-service.ts';
import { callStatusOf, toServiceError } from './call-status.ts';
import type { DetectAnomaliesRequest } from './edge-agent-messages.ts';

export function earlyRefusal(service: InspectionService, detectPath: string): ServerInterceptor {
  let expectedBytes = 0;
  return (method, call) => {
    if (method.path !== detectPath || service.reserveArrival === undefined) return new ServerInterceptingCall(call);
    const reserveArrival = service.reserveArrival.bind(service);
    let release: (() => void) | undefined;
    const giveUp = () => {
      release?.();
      release = undefined;
    };
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            const place = reserveArrival(expectedBytes);
            if (place === null) {
              const full = new SyncInspectionError(
                SyncCode.QueueFull,
                'the queue is full (refused before the bitmap was read): try again later',
              );
              call.sendStatus(toServiceError(callStatusOf(full, () => service.retryAfterMs())));
              return;
            }
            release = place;
            pass(metadata);
          },
          onReceiveMessage: (message: DetectAnomaliesRequest, pass) => {
            expectedBytes = message?.bitmap?.byte_data?.length ?? 0;
            giveUp();
            pass(message);
          },
          onCancel: giveUp,
        }),
      sendStatus: (status, pass) => {
        giveUp();
        pass(status);
      },
    });
  };
}
