/**
 * A small writer of ONNX models (protobuf wire format), enough for the one-op graphs the native kernels run:
 * nodes with int/ints/float/string attributes, typed graph inputs/outputs, and int64 initializers.
 * Field numbers are those of onnx/onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto, ...).
 */

const encoder = new TextEncoder();

export const FLOAT = 1;
export const INT64 = 7;

/** Protobuf message bytes, built field by field. */
class Message {
  private bytes: number[] = [];

  private varint(value: number | bigint): void {
    let v = BigInt(value);
    if (v < 0n) v += 1n << 64n; // negative int64: two's complement, ten bytes
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      this.bytes.push(byte);
    } while (v !== 0n);
  }

  int(field: number, value: number | bigint): this {
    this.varint(field << 3);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.varint((field << 3) | 5);
    this.bytes.push(...new Uint8Array(Float32Array.of(value).buffer));
    return this;
  }

  raw(field: number, data: Uint8Array): this {
    this.varint((field << 3) | 2);
    this.varint(data.length);
    for (const b of data) this.bytes.push(b);
    return this;
  }

  text(field: number, s: string): this {
    return this.raw(field, encoder.encode(s));
  }

  message(field: number, m: Message): this {
    return this.raw(field, m.encode());
  }

  encode(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

export type AttributeValue = number | number[] | string | { float: number };

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, AttributeValue>;
}

export interface OnnxValue {
  name: string;
  shape: number[];
  /** Element type: FLOAT (default) or INT64. */
  type?: number;
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  /** Constant int64 tensors (slice bounds, shapes). */
  constants?: Record<string, number[]>;
}

function attribute(name: string, value: AttributeValue): Message {
  const m = new Message().text(1, name);
  // AttributeProto.type: FLOAT 1, INT 2, STRING 3, INTS 7.
  if (typeof value === 'number') return m.int(3, value).int(20, 2);
  if (typeof value === 'string') return m.text(4, value).int(20, 3);
  if (Array.isArray(value)) {
    for (const v of value) m.int(8, v);
    return m.int(20, 7);
  }
  return m.float(2, value.float).int(20, 1);
}

function valueInfo(v: OnnxValue): Message {
  const shape = new Message();
  for (const d of v.shape) shape.message(1, new Message().int(1, d));
  const tensorType = new Message().int(1, v.type ?? FLOAT).message(2, shape);
  return new Message().text(1, v.name).message(2, new Message().message(1, tensorType));
}

/** A ModelProto (IR version 8, default opset 17) holding one graph. */
export function onnxModel(graph: OnnxGraph): Uint8Array {
  const g = new Message();
  for (const n of graph.nodes) {
    const node = new Message();
    for (const i of n.inputs) node.text(1, i);
    for (const o of n.outputs) node.text(2, o);
    node.text(4, n.op);
    for (const [name, value] of Object.entries(n.attributes ?? {})) node.message(5, attribute(name, value));
    g.message(1, node);
  }
  g.text(2, 'gantry');
  for (const [name, values] of Object.entries(graph.constants ?? {})) {
    const t = new Message().int(1, values.length).int(2, INT64);
    for (const v of values) t.int(7, v);
    g.message(5, t.text(8, name));
  }
  for (const v of graph.inputs) g.message(11, valueInfo(v));
  for (const v of graph.outputs) g.message(12, valueInfo(v));
  return new Message().int(1, 8).message(8, new Message().text(1, '').int(2, 17)).message(7, g).encode();
}
