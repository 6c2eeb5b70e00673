/**
 * Options several tasks share, declared once: the preset, the seed and the outer
 * cross-validation (train, evaluate, search), the model file and its card.
 * @module
 */

import { join } from "node:path";
import { DEFAULT_PRESET, DEFAULT_SEED, PRESET_NAMES } from "../pipeline/presets.ts";
import type { Options } from "../util/command.ts";
import { PROJECT_ROOT } from "../util/fs.ts";

/** The committed model (predict, package); its card is the .json beside it. */
export const MODEL_FILE_OPTION = {
  type: "string",
  arg: "FILE",
  default: join(PROJECT_ROOT, "models", "titanic.onnx"),
  shownDefault: "models/titanic.onnx",
  help: "ONNX model; its card is the .json beside it",
} as const;

/** The committed model's card (drift, register). */
export const CARD_OPTION = {
  type: "string",
  arg: "FILE",
  default: join(PROJECT_ROOT, "models", "titanic.json"),
  shownDefault: "models/titanic.json",
  help: "model card",
} as const;

export const PRESET_OPTION = {
  type: "choice",
  arg: "NAME",
  choices: PRESET_NAMES,
  default: DEFAULT_PRESET,
  help: "pipeline to estimate and fit (the default one is selected from a space)",
} as const;

export const SEED_OPTION = {
  type: "integer",
  default: DEFAULT_SEED,
  help: "seed of the folds and the models",
} as const;

export const OUTER_CV_OPTIONS = {
  folds: { type: "integer", arg: "K", min: 2, default: 5, help: "outer cross-validation folds" },
  repeats: {
    type: "integer",
    arg: "R",
    min: 1,
    max: 100,
    default: 3,
    help: "outer repeats, each with reshuffled folds",
  },
} as const satisfies Options;
