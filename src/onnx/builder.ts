/**
 * A small builder for ONNX graphs: inputs, outputs, constant initializers and nodes, encoded
 * with the `onnx-proto` protobuf classes (IR 8). Converters call it; nothing else writes
 * protobuf.
 * @module
 */

import onnxProto from "onnx-proto";

const { onnx } = onnxProto;
const ElemType = onnx.TensorProto.DataType;
const AttrType = onnx.AttributeProto.AttributeType;

/** IR 8 with opset 17 and ai.onnx.ml 3: what onnxruntime 1.30 runs and onnx 1.12 checks. */
export const IR_VERSION = 8;
export const OPSET = 17;
export const ML_OPSET = 3;
export const ML_DOMAIN = "ai.onnx.ml";
/** onnxruntime's contrib operators (Tokenizer); onnx.checker skips domains it has no schema for. */
export const MS_DOMAIN = "com.microsoft";
export const MS_OPSET = 1;

/** Element types the project's graphs use. */
export type ElementType = "float32" | "int64" | "string" | "bool";

/** ONNX's TensorProto.DataType code of each element type (what Cast's `to` takes). */
export const DATA_TYPE: Readonly<Record<ElementType, number>> = {
  float32: ElemType.FLOAT,
  int64: ElemType.INT64,
  string: ElemType.STRING,
  bool: ElemType.BOOL,
};

/** An attribute value with its ONNX type made explicit. */
export type Attribute =
  | { float: number }
  | { int: number }
  | { string: string }
  | { floats: readonly number[] }
  | { ints: readonly number[] }
  | { strings: readonly string[] };

/** The attributes of a Cast node to `type`: `g.op("Cast", [x], { attributes: castTo("float32") })`. */
export function castTo(type: ElementType): Record<string, Attribute> {
  return { to: { int: DATA_TYPE[type] } };
}

/** A dimension: a number, or a name for a symbolic (batch) dimension. */
export type Dim = number | string;

const utf8 = new TextEncoder();

function encodeAttribute(name: string, value: Attribute): onnxProto.onnx.IAttributeProto {
  if ("float" in value) return { name, type: AttrType.FLOAT, f: value.float };
  if ("int" in value) return { name, type: AttrType.INT, i: value.int };
  if ("string" in value) return { name, type: AttrType.STRING, s: utf8.encode(value.string) };
  if ("floats" in value) return { name, type: AttrType.FLOATS, floats: [...value.floats] };
  if ("ints" in value) return { name, type: AttrType.INTS, ints: [...value.ints] };
  return { name, type: AttrType.STRINGS, strings: value.strings.map((s) => utf8.encode(s)) };
}

function valueInfo(name: string, type: ElementType, dims: readonly Dim[]) {
  return {
    name,
    type: {
      tensorType: {
        elemType: DATA_TYPE[type],
        shape: {
          dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}

/** Options of {@link GraphBuilder.node}. */
export interface NodeOptions {
  attributes?: Record<string, Attribute>;
  domain?: string;
  /** Number of outputs (default 1); their names are generated. */
  outputs?: number;
  /** Exact output names (e.g. the graph outputs). */
  outputNames?: readonly string[];
}

/** Metadata written into the model. */
export interface ModelMetadata {
  producerName: string;
  producerVersion: string;
  docString?: string;
  properties?: Record<string, string>;
}

/** Accumulates a graph; names are made unique and deterministic. */
export class GraphBuilder {
  #nodes: onnxProto.onnx.INodeProto[] = [];
  #initializers: onnxProto.onnx.ITensorProto[] = [];
  #inputs: ReturnType<typeof valueInfo>[] = [];
  #outputs: ReturnType<typeof valueInfo>[] = [];
  #used = new Set<string>();
  #domains = new Map<string, number>();

  constructor(readonly name: string) {}

  /** A fresh tensor name starting with `prefix`. */
  fresh(prefix: string): string {
    let name = prefix;
    for (let i = 1; this.#used.has(name); i++) name = `${prefix}_${i}`;
    this.#used.add(name);
    return name;
  }

  #claim(name: string): string {
    if (this.#used.has(name)) throw new Error(`tensor name "${name}" is already used`);
    this.#used.add(name);
    return name;
  }

  /** Declares a graph input. */
  input(name: string, type: ElementType, dims: readonly Dim[]): string {
    this.#inputs.push(valueInfo(this.#claim(name), type, dims));
    return name;
  }

  /** Declares a graph output (already produced by a node). */
  output(name: string, type: ElementType, dims: readonly Dim[]): void {
    this.#outputs.push(valueInfo(name, type, dims));
  }

  /** A float32 constant. */
  floats(prefix: string, values: ArrayLike<number>, dims: readonly number[] = [values.length]) {
    const name = this.fresh(prefix);
    this.#initializers.push({
      name,
      dataType: ElemType.FLOAT,
      dims: [...dims],
      floatData: Array.from(values, Math.fround),
    });
    return name;
  }

  /** An int64 constant. */
  int64s(prefix: string, values: ArrayLike<number>, dims: readonly number[] = [values.length]) {
    const name = this.fresh(prefix);
    this.#initializers.push({
      name,
      dataType: ElemType.INT64,
      dims: [...dims],
      int64Data: Array.from(values),
    });
    return name;
  }

  /** A string constant. */
  strings(prefix: string, values: readonly string[], dims: readonly number[] = [values.length]) {
    const name = this.fresh(prefix);
    this.#initializers.push({
      name,
      dataType: ElemType.STRING,
      dims: [...dims],
      stringData: values.map((v) => utf8.encode(v)),
    });
    return name;
  }

  /** Adds a node and returns its output names. */
  node(opType: string, inputs: readonly string[], options: NodeOptions = {}): string[] {
    const domain = options.domain ?? "";
    if (domain === ML_DOMAIN) this.#domains.set(ML_DOMAIN, ML_OPSET);
    if (domain === MS_DOMAIN) this.#domains.set(MS_DOMAIN, MS_OPSET);
    const outputs = options.outputNames
      ? options.outputNames.map((n) => this.#claim(n))
      : Array.from({ length: options.outputs ?? 1 }, () => this.fresh(opType.toLowerCase()));
    this.#nodes.push({
      opType,
      domain,
      name: this.fresh(`${opType}_node`),
      input: [...inputs],
      output: outputs,
      attribute: Object.entries(options.attributes ?? {}).map(([k, v]) => encodeAttribute(k, v)),
    });
    return outputs;
  }

  /** Shorthand for a node with one output. */
  op(opType: string, inputs: readonly string[], options: Omit<NodeOptions, "outputs"> = {}) {
    return this.node(opType, inputs, options)[0];
  }

  /** Encodes the model. */
  encode(meta: ModelMetadata): Uint8Array {
    const opsetImport = [{ domain: "", version: OPSET }];
    for (const [domain, version] of [...this.#domains].sort()) {
      opsetImport.push({ domain, version });
    }
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport,
      producerName: meta.producerName,
      producerVersion: meta.producerVersion,
      docString: meta.docString ?? "",
      metadataProps: Object.entries(meta.properties ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.name,
        node: this.#nodes,
        initializer: this.#initializers,
        input: this.#inputs,
        output: this.#outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

/** The operator sets a model imports, by domain ("ai.onnx" for the default one). */
export function opsetsOf(bytes: Uint8Array): Record<string, number> {
  const model = onnx.ModelProto.decode(bytes);
  return Object.fromEntries(
    model.opsetImport.map((o) => [o.domain || "ai.onnx", Number(o.version)]),
  );
}
