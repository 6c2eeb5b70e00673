/**
 * The options train, evaluate and search share: the preset, the seed and the outer
 * cross-validation, declared once.
 * @module
 */

import { DEFAULT_PRESET, DEFAULT_SEED, PRESET_NAMES } from "../pipeline/presets.ts";
import type { Options } from "../util/command.ts";

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
