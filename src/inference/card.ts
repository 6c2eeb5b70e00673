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
    /**
     * What to expect on passengers the model has never seen: nested cross-validation of the
     * whole selection for the default preset (plain CV for a fixed preset, whose selection
     * happened outside this run).
     */
    readonly estimate: {
      method: "nested cross-validation" | "cross-validation";
      folds: number;
      repeats: number;
      innerFolds?: number;
      innerRepeats?: number;
      seed: number;
      stratified: true;
      accuracy: Spread;
      rocAuc: Spread;
      logLoss: Spread;
      /** Outer-fold choices of the selection. */
      choices: Record<string, number>;
    };
    /** Baselines and fixed presets on the same outer folds; difference = ours - theirs. */
    readonly comparisons: readonly {
      name: string;
      accuracy: Spread;
      difference: Spread;
      wins: number;
      ties: number;
      losses: number;
    }[];
    /** The selection on every training row (selection scores: optimistic for the winner). */
    readonly selection?: {
      rule: string;
      folds: number;
      repeats: number;
      chosen: string;
      candidates: readonly { name: string; accuracy: Spread; cost: number }[];
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

/**
 * Where a model's card lives, one rule everywhere: the model path with `.onnx` replaced by
 * `.json`, or with `.json` appended when it does not end in `.onnx`.
 */
export function cardPathFor(modelPath: string): string {
  return modelPath.endsWith(".onnx")
    ? modelPath.slice(0, -".onnx".length) + ".json"
    : modelPath + ".json";
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
