/**
 * AWS event-stream framing as Greengrass IPC uses it: each message is a prelude (total length, headers
 * length, CRC32), headers, payload and a message CRC32 (encoded and checked by @smithy's codec). RPC
 * headers: `:message-type`, `:message-flags`, `:stream-id`, and on application messages
 * `service-model-type` and `:content-type`.
 */
import { EventStreamCodec, type Message, type MessageHeaders } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

export const MessageType = {
  ApplicationMessage: 0,
  ApplicationError: 1,
  Ping: 2,
  PingResponse: 3,
  Connect: 4,
  ConnectAck: 5,
  ProtocolError: 6,
  InternalError: 7,
} as const;

export const MessageFlags = { ConnectionAccepted: 1, TerminateStream: 2 } as const;

export interface RpcMessage {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly headers: MessageHeaders;
  readonly payload: Uint8Array;
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);

export function headerString(m: RpcMessage, name: string): string | undefined {
  const h = m.headers[name];
  return h && h.type === 'string' ? h.value : undefined;
}

export function encodeRpc(m: {
  type: number;
  flags?: number;
  streamId: number;
  headers?: MessageHeaders;
  payload?: Uint8Array;
}): Uint8Array {
  const message: Message = {
    headers: {
      ...m.headers,
      ':message-type': { type: 'integer', value: m.type },
      ':message-flags': { type: 'integer', value: m.flags ?? 0 },
      ':stream-id': { type: 'integer', value: m.streamId },
    },
    body: m.payload ?? new Uint8Array(0),
  };
  return codec.encode(message);
}

export function jsonApplicationMessage(
  streamId: number,
  shape: string,
  body: unknown,
  flags = 0,
  type: number = MessageType.ApplicationMessage,
): Uint8Array {
  return encodeRpc({
    type,
    flags,
    streamId,
    headers: {
      'service-model-type': { type: 'string', value: shape },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    payload: new TextEncoder().encode(JSON.stringify(body)),
  });
}

/** Splits a byte stream into messages (a message may span chunks, a chunk may hold several). */
export class RpcDecoder {
  #buffer: Buffer = Buffer.alloc(0);

  push(chunk: Uint8Array): RpcMessage[] {
    this.#buffer = this.#buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#buffer, chunk]);
    const out: RpcMessage[] = [];
    while (this.#buffer.length >= 4) {
      const total = this.#buffer.readUInt32BE(0);
      if (this.#buffer.length < total) break;
      const raw = this.#buffer.subarray(0, total);
      this.#buffer = this.#buffer.subarray(total);
      const m = codec.decode(raw);
      const int = (name: string) => {
        const h = m.headers[name];
        return h && h.type === 'integer' ? h.value : 0;
      };
      out.push({
        type: int(':message-type'),
        flags: int(':message-flags'),
        streamId: int(':stream-id'),
        headers: m.headers,
        payload: m.body,
      });
    }
    return out;
  }
}
