/**
 * A client of the HTTP API with Node's fetch, for `edgeqc inspect --url`: it posts a file to
 * /v1/inspect and gives the same outcome a local inspection gives, the `edgeqc.inspection.v1` message
 * or an `edgeqc.error.v1` message with the API's code (a file the server refuses is a failed file, not a
 * crash). HTTPS uses the system's CAs (NODE_EXTRA_CA_CERTS adds one); client certificates are not
 * supported here.
 */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { z } from 'zod';
import { errorEvent } from '../../agent/agent-messages.ts';
import { InspectionSchema, type ModelRef, ModelRefSchema } from '../../contracts/inspection.ts';
import type { InspectOutcome } from '../../demo-model/inspect-files.ts';
import { HttpApiCode, ImageRejectedCode, messageOf } from '../../errors.ts';

export interface HttpInspectClientOptions {
  /** The API's base URL, `http://host:port` or `https://host:port`. */
  readonly url: string;
  /** Sent as `Authorization: Bearer <token>` when set. */
  readonly token?: string;
  /** Ask the agent to publish each inspection too. Default false. */
  readonly publish?: boolean;
  /** Ask the agent to archive each image under done/<verdict>/. Default false. */
  readonly archive?: boolean;
  /** thingName of the error messages made on this side (the inspections carry the agent's). */
  readonly thingName: string;
  /** Per request; past it the file fails with HTTP_UNREACHABLE. Default 120 s. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export type Readiness =
  | { readonly kind: 'ready'; readonly model: ModelRef }
  | { readonly kind: 'not-ready'; readonly status: number; readonly code: string; readonly message: string }
  | { readonly kind: 'refused'; readonly status: number; readonly code: string; readonly message: string };

export interface HttpInspectClient {
  /** GET /readyz: ready with the model, not ready (503), or refused (401, not this API...). Throws when unreachable. */
  readiness(): Promise<Readiness>;
  inspectFile(path: string): Promise<InspectOutcome>;
}

const CONTENT_TYPES: Record<string, string> = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png' };

const ApiErrorSchema = z.object({ error: z.object({ code: z.string().min(1), message: z.string() }) });
const ReadySchema = z.object({ model: ModelRefSchema });

/** The body as JSON, or its text when it is not JSON. */
async function bodyOf(res: Response): Promise<{ json: unknown } | { text: string }> {
  const text = await res.text();
  try {
    return { json: JSON.parse(text) };
  } catch {
    return { text };
  }
}

/** The API's `{ error: { code, message } }`, or a BadResponse describing what came instead. */
async function apiError(res: Response): Promise<{ code: string; message: string }> {
  const body = await bodyOf(res);
  const parsed = 'json' in body ? ApiErrorSchema.safeParse(body.json) : undefined;
  if (parsed?.success) return parsed.data.error;
  const shown = 'json' in body ? JSON.stringify(body.json) : body.text;
  return { code: HttpApiCode.BadResponse, message: `HTTP ${res.status} without an API error: ${shown.slice(0, 200)}` };
}

export function httpInspectClient(options: HttpInspectClientOptions): HttpInspectClient {
  const base = options.url.replace(/\/+$/, '');
  const auth: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  const signal = () => {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? 120_000);
    return options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  };
  const failed = (file: string, code: string, message: string): InspectOutcome => ({
    kind: 'error',
    error: errorEvent({
      thingName: options.thingName,
      at: new Date(),
      kind: code.startsWith('IMAGE_') ? 'quarantine' : 'internal',
      code,
      message,
      file,
    }),
  });

  return {
    async readiness() {
      const res = await fetch(`${base}/readyz`, { headers: auth, signal: signal() });
      if (res.status === 200) {
        const body = await bodyOf(res);
        const parsed = 'json' in body ? ReadySchema.safeParse(body.json) : undefined;
        if (parsed?.success) return { kind: 'ready', model: parsed.data.model };
        return {
          kind: 'refused',
          status: 200,
          code: HttpApiCode.BadResponse,
          message: 'GET /readyz: no model in the answer',
        };
      }
      const error = await apiError(res);
      return { kind: res.status === 503 ? 'not-ready' : 'refused', status: res.status, ...error };
    },

    async inspectFile(path) {
      const file = basename(path);
      let bytes: Buffer;
      try {
        bytes = await readFile(path);
      } catch (err) {
        return failed(file, ImageRejectedCode.Unreadable, `${path} cannot be read: ${messageOf(err)}`);
      }
      const query = new URLSearchParams({
        publish: String(options.publish ?? false),
        archive: String(options.archive ?? false),
        name: file,
      });
      let res: Response;
      try {
        res = await fetch(`${base}/v1/inspect?${query}`, {
          method: 'POST',
          headers: {
            ...auth,
            'content-type': CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
          },
          body: bytes,
          signal: signal(),
        });
      } catch (err) {
        const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : '';
        return failed(file, HttpApiCode.Unreachable, `POST ${base}/v1/inspect: ${messageOf(err)}${cause}`);
      }
      if (res.status !== 200) {
        const { code, message } = await apiError(res);
        return failed(file, code, `${message} (HTTP ${res.status})`);
      }
      const body = await bodyOf(res);
      const parsed = InspectionSchema.safeParse('json' in body ? body.json : undefined);
      if (!parsed.success) {
        return failed(
          file,
          HttpApiCode.BadResponse,
          `the answer is not an edgeqc.inspection.v1 message: ${parsed.error.message.slice(0, 300)}`,
        );
      }
      return { kind: 'inspection', inspection: parsed.data };
    },
  };
}
