/**
 * Test support: tiny ONNX models written here byte by byte (protobuf wire format of onnx.proto's
 * ModelProto), for detector cases the demo model cannot show, e.g. an output that is NaN.
 * The model: input `images` float [1, 3, h, w] -> the given unary ops -> Reshape to [1, rows, -1].
 */

/** Protobuf field writers (wire types 0: varint, 2: length-delimited). */
function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}
const int = (field: number, n: number | bigint) => [...varint(field << 3), ...varint(n)];
const bytes = (field: number, b: number[] | Uint8Array) => [...varint((field << 3) | 2), ...varint(b.length), ...b];
const str = (field: number, s: string) => bytes(field, [...new TextEncoder().encode(s)]);

const FLOAT = 1;
const INT64 = 7;

function valueInfo(name: string, shape: (number | string)[]): number[] {
  // Dimension: dim_value (1) or dim_param (2, a symbolic name).
  const dims = shape.flatMap((d) => bytes(1, typeof d === 'number' ? int(1, d) : str(2, d)));
  const tensorType = [...int(1, FLOAT), ...bytes(2, dims)];
  return [...str(1, name), ...bytes(2, bytes(1, tensorType))];
}

function node(op: string, inputs: string[], output: string): number[] {
  return [...inputs.flatMap((i) => str(1, i)), ...str(2, output), ...str(3, `${op}_${output}`), ...str(4, op)];
}

/**
 * A model [1,3,h,w] -> ops (e.g. ['Neg', 'Sqrt']) -> [1, rows, (3*h*w)/rows] named `output0`; the output
 * shape it declares is that, or `declaredOutput` (strings are symbolic dims).
 */
export function tinyModel(options: {
  height: number;
  width: number;
  rows: number;
  ops: string[];
  declaredOutput?: (number | string)[];
}): Uint8Array {
  const { height, width, rows, ops } = options;
  const anchors = (3 * height * width) / rows;
  const nodes: number[][] = [];
  let last = 'images';
  ops.forEach((op, i) => {
    nodes.push(node(op, [last], `t${i}`));
    last = `t${i}`;
  });
  nodes.push(node('Reshape', [last, 'shape'], 'output0'));
  const shapeInit = [
    ...int(1, 3),
    ...int(2, INT64),
    ...bytes(7, [...varint(1), ...varint(rows), ...varint(-1)]),
    ...str(8, 'shape'),
  ];
  const graph = [
    ...nodes.flatMap((n) => bytes(1, n)),
    ...str(2, 'tiny'),
    ...bytes(5, shapeInit),
    ...bytes(11, valueInfo('images', [1, 3, height, width])),
    ...bytes(12, valueInfo('output0', options.declaredOutput ?? [1, rows, anchors])),
  ];
  const model = [
    ...int(1, 8),
    ...str(2, 'edgeqc-test'),
    ...bytes(7, graph),
    ...bytes(8, [...str(1, ''), ...int(2, 17)]),
  ];
  return Uint8Array.from(model);
}
