/**
 * The Lookout for Vision edge agent's gRPC interface (`AWS.LookoutVision.EdgeAgent`) on a Unix domain
 * socket, insecure like the original (access is the socket file's mode 0660: owner and group), with a
 * receive limit that takes a 4096 x 4096 RGB image inline. It serves our one model through the shared
 * InspectionService and ModelControl; docs/migration-lookout-for-vision.md describes it for clients.
 */
import { type handleUnaryCall, Server, ServerCredentials, status } from '@grpc/grpc-js';
import { LfvCode, LfvError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import type { InspectionService, ModelControl } from '../inspection-service.ts';
import { MAX_SIDE_PX } from './bitmap-input.ts';
import { callStatusOf, toServiceError } from './call-status.ts';
import { detectAnomaliesCall } from './detect-anomalies.ts';
import { type EdgeAgentMethod, edgeAgentServiceDefinition } from './edge-agent-service.ts';
import { modelCalls } from './model-calls.ts';
import { claimSocketPath, publishSocket, removeOwnSocket, stagingPathFor } from './socket-file.ts';

/** The original agent's default (its `Socket` setting). */
export const DEFAULT_LFV_SOCKET_PATH = '/tmp/aws.iot.lookoutvision.EdgeAgent.sock';
/** A 4096 x 4096 RGB888 bitmap inline (48 MiB) and 1 MiB for the rest of the request. */
export const DEFAULT_LFV_MAX_MESSAGE_BYTES = MAX_SIDE_PX * MAX_SIDE_PX * 3 + 1024 * 1024;
/** How long close() lets calls in flight finish before it cancels them. */
const CLOSE_GRACE_MS = 5000;

export interface LfvServerDeps {
  readonly service: InspectionService;
  readonly control: ModelControl;
  /** The stage's logger (the caller's child); refusals at debug, internal failures at error. */
  readonly log: Logger;
}

export interface LfvServerOptions {
  /** The socket file; clients dial `unix://<socketPath>`. */
  readonly socketPath: string;
  /** Largest request accepted, bytes. Default DEFAULT_LFV_MAX_MESSAGE_BYTES (49 MiB). */
  readonly maxMessageBytes?: number;
}

export interface LfvServer {
  readonly socketPath: string;
  /** Lets calls in flight finish (up to 5 s), stops, and removes the socket file. */
  close(): Promise<void>;
}

function unary<Req, Res>(
  method: EdgeAgentMethod,
  call: (req: Req) => Promise<Res>,
  log: Logger,
  retryAfterMs: () => number,
): handleUnaryCall<Req, Res> {
  return ({ request }, callback) => {
    call(request).then(
      (response) => callback(null, response),
      (err: unknown) => {
        const refusal = callStatusOf(err, retryAfterMs);
        if (refusal.code === status.INTERNAL) log.error({ method, err }, 'call failed');
        else log.debug({ method, code: refusal.edgeqcCode, grpcStatus: refusal.code }, 'call refused');
        callback(toServiceError(refusal));
      },
    );
  };
}

function bind(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`unix://${path}`, ServerCredentials.createInsecure(), (err) => {
      if (err)
        reject(new LfvError(LfvCode.BindFailed, `gRPC could not bind unix://${path}: ${err.message}`, { cause: err }));
      else resolve();
    });
  });
}

export async function startLfvServer(deps: LfvServerDeps, options: LfvServerOptions): Promise<LfvServer> {
  const { log } = deps;
  const { socketPath, maxMessageBytes = DEFAULT_LFV_MAX_MESSAGE_BYTES } = options;
  await claimSocketPath(socketPath);
  const retryAfterMs = () => deps.service.retryAfterMs();
  const models = modelCalls(deps);
  const server = new Server({ 'grpc.max_receive_message_length': maxMessageBytes });
  server.addService(edgeAgentServiceDefinition(), {
    DetectAnomalies: unary('DetectAnomalies', detectAnomaliesCall(deps), log, retryAfterMs),
    StartModel: unary('StartModel', models.StartModel, log, retryAfterMs),
    StopModel: unary('StopModel', models.StopModel, log, retryAfterMs),
    ListModels: unary('ListModels', models.ListModels, log, retryAfterMs),
    DescribeModel: unary('DescribeModel', models.DescribeModel, log, retryAfterMs),
  });
  const staging = stagingPathFor(socketPath);
  let ino: number;
  try {
    await bind(server, staging);
    ino = await publishSocket(staging, socketPath);
  } catch (err) {
    server.forceShutdown();
    throw err;
  }
  log.info({ socketPath, maxMessageBytes }, 'Lookout for Vision gRPC server listening');
  let closing: Promise<void> | undefined;
  return {
    socketPath,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => server.forceShutdown(), CLOSE_GRACE_MS);
          server.tryShutdown(() => {
            clearTimeout(force);
            resolve();
          });
        });
        await removeOwnSocket(socketPath, ino);
        log.info({ socketPath }, 'Lookout for Vision gRPC server stopped');
      })();
      return closing;
    },
  };
}
