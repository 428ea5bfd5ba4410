/**
 * The synchronous ways in, for one run of the agent: the HTTP API (`http.port` > 0) and the Lookout for
 * Vision gRPC socket (`lfv.enabled` or `lfv.socket`), both over one InspectionService on the agent's
 * served model, outbox and archive. Started after the agent, closed before it.
 *
 * Both are off by default, so their code (fastify, @grpc/grpc-js, @grpc/proto-loader) is imported only
 * when one is configured: an agent without them does not carry those packages in its memory.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { jsonBytes } from '../agent/agent-messages.ts';
import type { Agent } from '../agent/create-agent.ts';
import { type AgentConfig, LFV_DEFAULT_SOCKET, workFolders } from '../config/schema.ts';
import type { Inspection } from '../contracts/inspection.ts';
import { inspectImage } from '../inference/inspect-image.ts';
import type { Logger } from '../log.ts';
import type { ModelManager } from '../model/model-manager.ts';
import type { AdmittedImage, ImageArchive, ImagePreparer, Outbox } from '../ports.ts';
import type { AgentInspectionService } from '../sync/agent-inspection-service.ts';
import type { HttpServerHandle } from '../sync/http/start-http-server.ts';
import type { LfvServer } from '../sync/lfv/lfv-server.ts';

export interface SyncServersDeps {
  readonly agent: Agent;
  readonly models: ModelManager;
  readonly preparer: ImagePreparer;
  readonly outbox: Outbox;
  readonly archive: ImageArchive;
  readonly inspectionsTopic: string;
  readonly log: Logger;
}

export interface SyncServers {
  /** The HTTP API's URL, when it is on. */
  readonly httpUrl?: string;
  /** The gRPC socket, when it is on. */
  readonly lfvSocket?: string;
  close(): Promise<void>;
}

/** Keeps a synchronous request's image under done/<verdict>/ as if a camera had dropped it. */
function archiveVia(archive: ImageArchive, stateDir: string) {
  return async (image: AdmittedImage, inspection: Inspection) => {
    const dir = join(stateDir, 'sync-incoming', randomUUID());
    await mkdir(dir, { recursive: true });
    // The name a client gave may not leave the folder: only its last part, without leading dots.
    const name = basename(image.file).replace(/^\.+/, '') || 'request';
    const path = join(dir, name);
    try {
      await writeFile(path, image.bytes);
      await archive.done({ ...image, path, file: name }, inspection);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}

export async function startSyncServers(config: AgentConfig, deps: SyncServersDeps): Promise<SyncServers> {
  const lfvSocket = config.lfv.socket ?? (config.lfv.enabled ? LFV_DEFAULT_SOCKET : undefined);
  if (config.http.port === 0 && lfvSocket === undefined) return { close: async () => undefined };
  const { log } = deps;
  const { createAgentInspectionService } = await import('../sync/agent-inspection-service.ts');
  const service: AgentInspectionService = createAgentInspectionService(
    {
      models: deps.models,
      preparer: deps.preparer,
      inspect: inspectImage,
      publish: async (inspection) => {
        await deps.outbox.append({
          topic: deps.inspectionsTopic,
          payload: jsonBytes(inspection),
          messageId: inspection.messageId,
        });
      },
      archive: archiveVia(deps.archive, workFolders(config).state),
      record: (inspection, latencyMs) => deps.agent.recordSync(inspection, latencyMs),
      log: log.child({ stage: 'sync' }),
    },
    {
      thingName: config.thingName as string,
      thresholds: config.thresholds,
      maxFileBytes: config.limits.maxFileBytes,
      concurrency: config.sync.concurrency,
      maxQueue: config.sync.maxQueue,
      maxQueueBytes: config.sync.maxQueueBytes,
      timeoutMs: config.sync.timeoutMs,
    },
  );
  let http: HttpServerHandle | undefined;
  let lfv: LfvServer | undefined;
  try {
    if (config.http.port > 0) {
      const h = config.http;
      const read = (file: string) => readFile(file, 'utf8');
      const { startHttpServer } = await import('../sync/http/start-http-server.ts');
      http = await startHttpServer(
        { service, log: log.child({ stage: 'http' }) },
        {
          host: h.host,
          port: h.port,
          maxBodyBytes: h.maxBodyBytes ?? config.limits.maxFileBytes,
          // The service answers SYNC_TIMEOUT at sync.timeoutMs; the HTTP deadline leaves it room to.
          requestTimeoutMs: config.sync.timeoutMs + 2000,
          ...(h.certFile && h.keyFile
            ? {
                tls: {
                  certPem: await read(h.certFile),
                  keyPem: await read(h.keyFile),
                  ...(h.caFile ? { caPem: await read(h.caFile) } : {}),
                },
              }
            : {}),
          ...(h.tokenFile ? { authToken: (await read(h.tokenFile)).trim() } : {}),
        },
      );
    }
    if (lfvSocket !== undefined) {
      const [{ startLfvServer }, { createModelControl }] = await Promise.all([
        import('../sync/lfv/lfv-server.ts'),
        import('../sync/model-control.ts'),
      ]);
      lfv = await startLfvServer(
        { service, control: createModelControl(deps.models, log), log: log.child({ stage: 'lfv' }) },
        { socketPath: lfvSocket },
      );
    }
  } catch (err) {
    service.close();
    await http?.close();
    throw err;
  }
  return {
    ...(http ? { httpUrl: http.url } : {}),
    ...(lfv ? { lfvSocket: lfv.socketPath } : {}),
    async close() {
      service.close();
      await Promise.all([
        http?.close().catch((err: unknown) => log.warn({ err }, 'HTTP API close failed')),
        lfv?.close().catch((err: unknown) => log.warn({ err }, 'gRPC server close failed')),
      ]);
    },
  };
}
