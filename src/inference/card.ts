/**
 * The model card written next to every exported model: what it is, how it was made, what it
 * takes and returns, and how well it did. The server reads the input schema and the ONNX
 * checksum from it.
 * @module
 */

import type { InputSpec } from "../codec/inputs.ts";

/** One input as the card documents it. */
export interface CardInput extends InputSpec {
  readonly shape: readonly (string | number)[];
  readonly missing: string;
  /** Categories the model knows, for categorical inputs. */
  readonly categories?: readonly (string | number)[];
}

/** Metrics with spread. */
export interface Spread {
  mean: number;
  std: number;
}

export interface ModelCard {
  readonly name: string;
  readonly preset: string;
  readonly description: string;
  readonly seed: number;
  readonly pipeline: Record<string, unknown>;
  readonly data: {
    readonly train: { file: string; sha256: string; rows: number };
    readonly test: { file: string; sha256: string; rows: number };
  };
  readonly metrics: {
    readonly crossValidation: {
      folds: number;
      repeats: number;
      seed: number;
      stratified: true;
      accuracy: Spread;
      rocAuc: Spread;
      logLoss: Spread;
      confusionMatrix: [[number, number], [number, number]];
    };
    readonly trainingAccuracy: number;
  };
  readonly inputs: readonly CardInput[];
  readonly outputs: readonly { name: string; type: string; shape: (string | number)[] }[];
  readonly versions: Record<string, string>;
  /**
   * What `deno task drift` compares captured traffic with: a DriftBaseline
   * (src/monitor/baseline.ts; not imported here, the server image carries no src/monitor).
   */
  readonly baseline?: unknown;
  readonly onnx: {
    readonly file: string;
    readonly sha256: string;
    readonly bytes: number;
    readonly irVersion: number;
    readonly opsets: Record<string, number>;
  };
}

/** Reads and minimally checks a model card. */
export async function readCard(path: string): Promise<ModelCard> {
  let card: ModelCard;
  try {
    card = JSON.parse(await Deno.readTextFile(path));
  } catch (err) {
    throw new Error(`cannot read model card ${path}: ${(err as Error).message}`);
  }
  if (!card?.onnx?.sha256 || !Array.isArray(card.inputs)) {
    throw new Error(`model card ${path} lacks onnx.sha256 or inputs`);
  }
  return card;
}
