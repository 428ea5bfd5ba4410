/**
 * Builds tiny ONNX models byte by byte (protobuf wire format, onnx.proto3 field numbers), so tests
 * can feed the validator models that are wrong in one precise way without any Python tooling.
 * Each model: float inputs of the given shapes, and one output produced by a Constant node.
 */
const enc = new TextEncoder();

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}
const key = (field: number, wire: number) => varint(field * 8 + wire);
const vfield = (field: number, n: number) => [...key(field, 0), ...varint(n)];
const bytesField = (field: number, b: Uint8Array | number[]) => [...key(field, 2), ...varint(b.length), ...b];
const strField = (field: number, s: string) => bytesField(field, enc.encode(s));

function valueInfo(name: string, shape: readonly number[], elemType = 1): number[] {
  const dims = shape.flatMap((d) => bytesField(1, vfield(1, d)));
  const tensorType = [...vfield(1, elemType), ...bytesField(2, dims)];
  return [...strField(1, name), ...bytesField(2, bytesField(1, tensorType))];
}

function floatTensor(shape: readonly number[], fill: number): number[] {
  const count = shape.reduce((a, b) => a * b, 1);
  const raw = new Uint8Array(new Float32Array(count).fill(fill).buffer);
  return [...shape.flatMap((d) => vfield(1, d)), ...vfield(2, 1), ...bytesField(9, raw)];
}

export interface TinyModel {
  readonly inputs: ReadonlyArray<{ name: string; shape: readonly number[] }>;
  readonly output: { name: string; shape: readonly number[]; fill: number };
  readonly opset?: number;
}

export function buildTinyOnnx(m: TinyModel): Uint8Array {
  const attr = [
    ...strField(1, 'value'),
    ...vfield(20, 4),
    ...bytesField(5, floatTensor(m.output.shape, m.output.fill)),
  ];
  const constant = [
    ...strField(2, m.output.name),
    ...strField(3, 'const'),
    ...strField(4, 'Constant'),
    ...bytesField(5, attr),
  ];
  const graph = [
    ...bytesField(1, constant),
    ...strField(2, 'tiny'),
    ...m.inputs.flatMap((i) => bytesField(11, valueInfo(i.name, i.shape))),
    ...bytesField(12, valueInfo(m.output.name, m.output.shape)),
  ];
  const model = [
    ...vfield(1, 8),
    ...bytesField(7, graph),
    ...bytesField(8, [...strField(1, ''), ...vfield(2, m.opset ?? 17)]),
  ];
  return new Uint8Array(model);
}
