/**
 * Reads the little the explainer needs from ONNX model bytes, the metadata properties and the
 * attributes of one node type, with a minimal protobuf wire-format decoder. The server image
 * ships onnxruntime only (no protobuf library), and this is all it has to read.
 * @module
 */

/** An attribute value as the explainer uses it. */
export type AttributeValue = number | string | number[] | string[];

/** The protobuf field numbers read here (onnx.proto). */
const MODEL_GRAPH = 7, MODEL_METADATA = 14;
const ENTRY_KEY = 1, ENTRY_VALUE = 2;
const GRAPH_NODE = 1;
const NODE_OP_TYPE = 4, NODE_ATTRIBUTE = 5, NODE_DOMAIN = 7;
const ATTR_NAME = 1, ATTR_F = 2, ATTR_I = 3, ATTR_S = 4, ATTR_FLOATS = 7, ATTR_INTS = 8;
const ATTR_STRINGS = 9;

const utf8 = new TextDecoder();

/** Protobuf fields of one message, in order: numbers for varints and fixed32, bytes otherwise. */
interface Field {
  number: number;
  wire: number;
  /** varint value (as a number; int64s beyond 2^53 lose precision, none occur here). */
  int: number;
  /** the 4 bytes of a fixed32, or the payload of a length-delimited field. */
  bytes: Uint8Array;
}

class Reader {
  at = 0;
  constructor(readonly buf: Uint8Array) {}

  varint(): number {
    // Up to 4 bytes (28 bits) in plain numbers; longer ones (large or negative int64) in BigInt.
    let result = 0;
    for (let i = 0; i < 4; i++) {
      if (this.at >= this.buf.length) throw new Error("truncated varint");
      const b = this.buf[this.at++];
      result |= (b & 0x7f) << (7 * i);
      if (!(b & 0x80)) return result;
    }
    let big = BigInt(result), shift = 28n;
    for (;;) {
      if (this.at >= this.buf.length) throw new Error("truncated varint");
      const b = this.buf[this.at++];
      big |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
      shift += 7n;
    }
    return Number(BigInt.asIntN(64, big));
  }

  take(n: number): Uint8Array {
    if (this.at + n > this.buf.length) throw new Error("truncated field");
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
}

function* fields(buf: Uint8Array): Generator<Field> {
  const r = new Reader(buf);
  const none = new Uint8Array(0);
  while (r.at < buf.length) {
    const key = r.varint();
    const number = Math.floor(key / 8), wire = key & 7;
    if (wire === 0) yield { number, wire, int: r.varint(), bytes: none };
    else if (wire === 1) yield { number, wire, int: 0, bytes: r.take(8) };
    else if (wire === 2) yield { number, wire, int: 0, bytes: r.take(r.varint()) };
    else if (wire === 5) yield { number, wire, int: 0, bytes: r.take(4) };
    else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}

const float32 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, 4).getFloat32(0, true);

/** Repeated float: packed (wire 2) or one fixed32 per field. */
function floatsOf(f: Field, out: number[]): void {
  if (f.wire === 5) out.push(float32(f.bytes));
  else for (let i = 0; i < f.bytes.length; i += 4) out.push(float32(f.bytes.subarray(i, i + 4)));
}

/** Repeated int64: packed (wire 2) or one varint per field. */
function intsOf(f: Field, out: number[]): void {
  if (f.wire === 0) out.push(f.int);
  else {
    const r = new Reader(f.bytes);
    while (r.at < f.bytes.length) out.push(r.varint());
  }
}

function attribute(buf: Uint8Array): [string, AttributeValue] {
  let name = "";
  let value: AttributeValue | undefined;
  const floats: number[] = [], ints: number[] = [], strings: string[] = [];
  for (const f of fields(buf)) {
    if (f.number === ATTR_NAME) name = utf8.decode(f.bytes);
    else if (f.number === ATTR_F) value = float32(f.bytes);
    else if (f.number === ATTR_I) value = f.int;
    else if (f.number === ATTR_S) value = utf8.decode(f.bytes);
    else if (f.number === ATTR_FLOATS) floatsOf(f, floats);
    else if (f.number === ATTR_INTS) intsOf(f, ints);
    else if (f.number === ATTR_STRINGS) strings.push(utf8.decode(f.bytes));
  }
  if (value === undefined) {
    value = floats.length ? floats : ints.length ? ints : strings.length ? strings : [];
  }
  return [name, value];
}

/** What the explainer reads from a model. */
export interface OnnxContents {
  readonly metadata: Record<string, string>;
  /** Attributes of every node of the requested type, in graph order. */
  readonly nodes: Record<string, AttributeValue>[];
}

/** The metadata properties and the attributes of the nodes `domain`.`opType` of a model. */
export function readOnnx(bytes: Uint8Array, opType: string, domain: string): OnnxContents {
  const metadata: Record<string, string> = {};
  const nodes: Record<string, AttributeValue>[] = [];
  for (const f of fields(bytes)) {
    if (f.number === MODEL_METADATA) {
      let key = "", value = "";
      for (const e of fields(f.bytes)) {
        if (e.number === ENTRY_KEY) key = utf8.decode(e.bytes);
        if (e.number === ENTRY_VALUE) value = utf8.decode(e.bytes);
      }
      metadata[key] = value;
    } else if (f.number === MODEL_GRAPH) {
      for (const g of fields(f.bytes)) {
        if (g.number !== GRAPH_NODE) continue;
        let op = "", dom = "";
        const encoded: Uint8Array[] = [];
        for (const n of fields(g.bytes)) {
          if (n.number === NODE_OP_TYPE) op = utf8.decode(n.bytes);
          else if (n.number === NODE_DOMAIN) dom = utf8.decode(n.bytes);
          else if (n.number === NODE_ATTRIBUTE) encoded.push(n.bytes);
        }
        // Only the wanted nodes' attributes are decoded (others hold large lookup tables).
        if (op === opType && dom === domain) nodes.push(Object.fromEntries(encoded.map(attribute)));
      }
    }
  }
  return { metadata, nodes };
}
