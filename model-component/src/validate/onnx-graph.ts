/**
 * A minimal reader of the ONNX protobuf (onnx.proto3): just the parts the packager needs, namely the
 * opset imports and the op types of the main graph's nodes. Pure: bytes in, plain data out. Tensors
 * (initializers) are skipped by length, never decoded.
 *
 * ModelProto: 1 ir_version (varint), 7 graph (GraphProto), 8 opset_import (OperatorSetIdProto: 1 domain, 2 version).
 * GraphProto: 1 node (NodeProto: 4 op_type, 7 domain).
 */
import { ModelValidationError } from '../errors.ts';

export interface OnnxOpsetImport {
  readonly domain: string;
  readonly version: number;
}

export interface OnnxNodeSummary {
  readonly opType: string;
  readonly domain: string;
}

export interface OnnxGraphSummary {
  readonly irVersion: number;
  readonly opsetImports: readonly OnnxOpsetImport[];
  readonly nodes: readonly OnnxNodeSummary[];
}

interface Field {
  readonly number: number;
  readonly wireType: number;
  readonly varint?: bigint;
  readonly bytes?: Uint8Array;
}

const decoder = new TextDecoder('utf-8', { fatal: false });

function malformed(what: string): never {
  throw new ModelValidationError('ONNX_MALFORMED', `model file is not a valid ONNX protobuf: ${what}`);
}

/** Iterates the fields of one protobuf message. */
function* fields(buf: Uint8Array): Generator<Field> {
  let pos = 0;
  const readVarint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (pos >= buf.length) malformed('truncated varint');
      const b = buf[pos++] as number;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
    return malformed('varint longer than 10 bytes');
  };
  while (pos < buf.length) {
    const key = readVarint();
    const number = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (number === 0) malformed('field number 0');
    switch (wireType) {
      case 0:
        yield { number, wireType, varint: readVarint() };
        break;
      case 1:
        if (pos + 8 > buf.length) malformed('truncated 64-bit field');
        pos += 8;
        break;
      case 2: {
        const len = Number(readVarint());
        if (pos + len > buf.length) malformed(`length-delimited field ${number} runs past the end`);
        yield { number, wireType, bytes: buf.subarray(pos, pos + len) };
        pos += len;
        break;
      }
      case 5:
        if (pos + 4 > buf.length) malformed('truncated 32-bit field');
        pos += 4;
        break;
      default:
        malformed(`unsupported wire type ${wireType}`);
    }
  }
}

function readNode(bytes: Uint8Array): OnnxNodeSummary {
  let opType = '';
  let domain = '';
  for (const f of fields(bytes)) {
    if (f.number === 4 && f.bytes) opType = decoder.decode(f.bytes);
    else if (f.number === 7 && f.bytes) domain = decoder.decode(f.bytes);
  }
  return { opType, domain };
}

function readOpset(bytes: Uint8Array): OnnxOpsetImport {
  let domain = '';
  let version = 0;
  for (const f of fields(bytes)) {
    if (f.number === 1 && f.bytes) domain = decoder.decode(f.bytes);
    else if (f.number === 2 && f.varint !== undefined) version = Number(f.varint);
  }
  return { domain, version };
}

/** Reads the opset imports and the main graph's node op types from an ONNX model file's bytes. */
export function readOnnxGraph(model: Uint8Array): OnnxGraphSummary {
  let irVersion = 0;
  const opsetImports: OnnxOpsetImport[] = [];
  const nodes: OnnxNodeSummary[] = [];
  let sawGraph = false;
  for (const f of fields(model)) {
    if (f.number === 1 && f.varint !== undefined) irVersion = Number(f.varint);
    else if (f.number === 8 && f.bytes) opsetImports.push(readOpset(f.bytes));
    else if (f.number === 7 && f.bytes) {
      sawGraph = true;
      for (const g of fields(f.bytes)) if (g.number === 1 && g.bytes) nodes.push(readNode(g.bytes));
    }
  }
  if (!sawGraph || irVersion === 0) malformed('no graph or no ir_version');
  return { irVersion, opsetImports, nodes };
}

/** Quantized graphs carry QDQ pairs or QLinear or integer ops; anything else is float. */
export function detectPrecision(graph: OnnxGraphSummary): 'int8' | 'fp32' {
  const quantOps = /^(QuantizeLinear|DequantizeLinear|DynamicQuantizeLinear|QLinear\w+|ConvInteger|MatMulInteger)$/;
  return graph.nodes.some((n) => quantOps.test(n.opType)) ? 'int8' : 'fp32';
}

/** The default-domain (ai.onnx) opset version. */
export function defaultOpset(graph: OnnxGraphSummary): number {
  const entry = graph.opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  if (!entry || entry.version <= 0) malformed('no opset_import for the default domain');
  return entry.version;
}
