/**
 * Runs an exported model with onnxruntime-node. This is the only inference path: `predict`,
 * the server and the parity tests all go through {@link OnnxModel}.
 * @module
 */

import * as ort from "onnxruntime-node";
import type { ModelInputs } from "../codec/inputs.ts";
import { sha256Hex } from "../util/fs.ts";
import { cardPathFor, type ModelCard, readCard } from "./card.ts";

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
}

/** A loaded, checksum-verified model. */
export class OnnxModel {
  private constructor(
    readonly session: ort.InferenceSession,
    readonly card: ModelCard,
    readonly sha256: string,
  ) {}

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
    return new OnnxModel(await createSession(bytes, options), card, sha256);
  }

  /** Names of the graph inputs, in graph order. */
  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  /** Scores a batch of encoded inputs. */
  async predict(inputs: ModelInputs): Promise<Predictions> {
    return await runSession(this.session, inputs);
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
    // Idle onnxruntime threads must not spin: they would take the cores from the event loop.
    extra: { session: { intra_op: { allow_spinning: "0" } } },
  });
}

/** Runs a session on encoded inputs (each a flat column fed as [N,1]). */
export async function runSession(
  session: ort.InferenceSession,
  inputs: ModelInputs,
): Promise<Predictions> {
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
  if (rows === 0) return { labels: new Uint8Array(0), probabilities: new Float32Array(0) };
  const out = await session.run(feeds);
  const label = out.label.data as BigInt64Array;
  const proba = out.probabilities.data as Float32Array;
  const labels = new Uint8Array(label.length);
  const probabilities = new Float32Array(label.length);
  for (let i = 0; i < label.length; i++) {
    labels[i] = label[i] === 0n ? 0 : 1; // a plain loop: Uint8Array.from with a map was 30x slower
    probabilities[i] = proba[2 * i + 1];
  }
  return { labels, probabilities };
}
