/**
 * Runs an exported model with onnxruntime-node. This is the only inference path: `predict`,
 * the server and the parity tests all go through {@link OnnxModel}.
 * @module
 */

import "./telemetry_off.ts"; // before onnxruntime loads
import * as ort from "onnxruntime-node";
import type { ModelInputs } from "../codec/inputs.ts";
import { sha256Hex } from "../util/fs.ts";
import { cardPathFor, type ModelCard, readCard } from "./card.ts";
import { type Explainer, explainerFromOnnx, FEATURES_OUTPUT } from "./explainer.ts";

/** Predictions for a batch. */
export interface Predictions {
  /** 0/1 per row, from the graph's `label` output. */
  readonly labels: Uint8Array;
  /** P(survived) per row, from `probabilities[:, 1]`. */
  readonly probabilities: Float32Array;
}

export interface LoadModelOptions {
  /** Threads onnxruntime may use inside one run (default 1: the server scales by requests). */
  intraOpThreads?: number;
  /** Write onnxruntime's per-node profile (Chrome trace JSON) to files with this prefix. */
  profileFilePrefix?: string;
}

/** A loaded, checksum-verified model. */
export class OnnxModel {
  private constructor(
    readonly session: ort.InferenceSession,
    readonly card: ModelCard,
    readonly sha256: string,
    bytes: Uint8Array,
  ) {
    this.#bytes = this.session.outputNames.includes(FEATURES_OUTPUT) ? bytes : undefined;
  }

  /** The verified model bytes, kept until the explainer is built (only models that can explain). */
  #bytes?: Uint8Array;
  #explainer?: Explainer;

  /**
   * TreeSHAP from the model file's trees and covers, built on first use (a server that never
   * explains pays nothing); undefined for model files made before explanations.
   */
  get explainer(): Explainer | undefined {
    if (this.#bytes) {
      this.#explainer = explainerFromOnnx(this.#bytes);
      this.#bytes = undefined;
    }
    return this.#explainer;
  }

  /**
   * Loads `onnxPath` and its card (default: same name with .json), refusing a model whose
   * SHA-256 differs from the card's.
   */
  static async load(
    onnxPath: string,
    cardPath = cardPathFor(onnxPath),
    options: LoadModelOptions = {},
  ): Promise<OnnxModel> {
    const card = await readCard(cardPath);
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(onnxPath);
    } catch (err) {
      throw new Error(`cannot read model ${onnxPath}: ${(err as Error).message}`);
    }
    const sha256 = await sha256Hex(bytes);
    if (sha256 !== card.onnx.sha256) {
      throw new Error(
        `model ${onnxPath} has SHA-256 ${sha256} but its card says ${card.onnx.sha256}: ` +
          `the file is corrupt or belongs to another card`,
      );
    }
    return new OnnxModel(await createSession(bytes, options), card, sha256, bytes);
  }

  /**
   * Frees the onnxruntime session now. A Worker must call it before it ends: terminating an
   * isolate does not run the session's finalizer, and its memory would stay with the process.
   */
  async release(): Promise<void> {
    await this.session.release();
  }

  /** Names of the graph inputs, in graph order. */
  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  /** Scores a batch of encoded inputs. */
  async predict(inputs: ModelInputs): Promise<Predictions> {
    return await runSession(this.session, inputs);
  }

  /** Scores a batch and returns the features [rows, k] the trees saw, row-major. */
  async predictWithFeatures(
    inputs: ModelInputs,
  ): Promise<Predictions & { features: Float32Array }> {
    return await runSession(this.session, inputs, true);
  }
}

/** An onnxruntime session over model bytes. */
export async function createSession(
  bytes: Uint8Array,
  options: LoadModelOptions = {},
): Promise<ort.InferenceSession> {
  return await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: options.intraOpThreads ?? 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    ...(options.profileFilePrefix
      ? { enableProfiling: true, profileFilePrefix: options.profileFilePrefix }
      : {}),
    // Idle onnxruntime threads must not spin: they would take the cores from the event loop.
    extra: { session: { intra_op: { allow_spinning: "0" } } },
  });
}

const PREDICTIONS = ["label", "probabilities"];
const WITH_FEATURES = [...PREDICTIONS, FEATURES_OUTPUT];

/**
 * Runs a session on encoded inputs (each a flat column fed as [N,1]); with `features`, also
 * returns the graph's feature output.
 */
export async function runSession(
  session: ort.InferenceSession,
  inputs: ModelInputs,
): Promise<Predictions>;
export async function runSession(
  session: ort.InferenceSession,
  inputs: ModelInputs,
  features: true,
): Promise<Predictions & { features: Float32Array }>;
export async function runSession(
  session: ort.InferenceSession,
  inputs: ModelInputs,
  features = false,
): Promise<Predictions & { features?: Float32Array }> {
  const feeds: Record<string, ort.Tensor> = {};
  let rows = 0;
  for (const name of session.inputNames) {
    const column = inputs[name];
    if (!column) throw new Error(`missing model input "${name}"`);
    rows = column.length;
    feeds[name] = column instanceof Float32Array
      ? new ort.Tensor("float32", column, [column.length, 1])
      : new ort.Tensor("string", column, [column.length, 1]);
  }
  if (rows === 0) {
    const none = { labels: new Uint8Array(0), probabilities: new Float32Array(0) };
    return features ? { ...none, features: new Float32Array(0) } : none;
  }
  const out = await session.run(feeds, features ? WITH_FEATURES : PREDICTIONS);
  const label = out.label.data as BigInt64Array;
  const proba = out.probabilities.data as Float32Array;
  const labels = new Uint8Array(label.length);
  const probabilities = new Float32Array(label.length);
  for (let i = 0; i < label.length; i++) {
    labels[i] = label[i] === 0n ? 0 : 1; // a plain loop: Uint8Array.from with a map was 30x slower
    probabilities[i] = proba[2 * i + 1];
  }
  return features
    ? { labels, probabilities, features: out[FEATURES_OUTPUT].data as Float32Array }
    : { labels, probabilities };
}
