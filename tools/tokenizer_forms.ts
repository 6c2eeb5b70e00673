/**
 * `deno task profile:tokenizers [EXPR ...]`: what candidate forms of the name Tokenizer cost and
 * produce. For each regular expression, a graph of one com.microsoft.Tokenizer over Name runs on
 * 1000 real names (test.csv then train.csv) and on edge names; prints ms per 1000 names (median
 * of 5 runs) and the tokens of the edge names, so that a cheaper form can be checked for the same
 * first match. Defaults: the model's two expressions, their anchored and combined forms.
 * Prints, asserts nothing.
 * @module
 */

import * as ort from "onnxruntime-node";
import { benchPassengers, columnsOf, take } from "../container/bench_bodies.ts";
import { createSession } from "../src/inference/model.ts";
import { GraphBuilder } from "../src/onnx/builder.ts";
import { tokenizerNode } from "../src/pipeline/derive.ts";
import { defineCommand, type ParsedOf, runCommand } from "../src/util/command.ts";

export const command = defineCommand({
  task: "deno task profile:tokenizers",
  usage: "[EXPR ...]",
  summary: `
Times a Tokenizer graph for each RE2 expression EXPR on 1000 names from TITANIC_DATA_DIR's
test.csv and train.csv, and prints the tokens of edge names (empty, leading comma, no comma, two
title forms, inner comma, no title).`,
  positionals: {
    name: "EXPR",
    help: "RE2 expressions (default: the model's two, their anchored and combined forms)",
  },
  options: {},
});

const EDGE_NAMES = [
  "",
  ", Master. Nobody",
  "Nocomma",
  "A,, Mr. X",
  ", Foo., Mr. X",
  "Doe, Captain. John, of the Ship. Senior",
  "Braund, Owen",
];
const DEFAULT_FORMS = [
  ", *[^.]*\\.", // the title (the model's)
  "^[^,]+", // the surname (the model's): at most one token
  "[^,]+", // the surname before it was anchored: every run of non-commas
  "^[^,]+|, *[^.]*\\.", // both in one Tokenizer: surname then title
  "^[^,]*,|^[^,]+$|[^.]*\\.", // both, with the comma kept on the surname
];

async function measure(expression: string, names: string[]) {
  const g = new GraphBuilder("tokenizer");
  g.input("Name", "string", ["N", 1]);
  const tokens = tokenizerNode(g, "Name", expression);
  g.output(tokens, "string", ["N", 1, "T"]);
  // Timed through their shape: fetching the tokens would time their conversion to JS strings.
  g.output(g.op("Shape", [tokens]), "int64", [3]);
  const session = await createSession(
    g.encode({ producerName: "tokenizer", producerVersion: "0" }),
  );
  const feeds = (v: string[]) => ({ Name: new ort.Tensor("string", v, [v.length, 1]) });
  const run = async (v: string[]) => (await session.run(feeds(v), [tokens]))[tokens];
  const shapeOnly = session.outputNames.find((n) => n !== tokens)!;
  const runShape = async (v: string[]) => (await session.run(feeds(v), [shapeOnly]))[shapeOnly];
  const edge = await run(EDGE_NAMES);
  const width = edge.dims[2];
  const data = edge.data as string[];
  for (let i = 0; i < 50; i++) await runShape(names);
  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    const start = performance.now();
    let n = 0;
    while (performance.now() - start < 400) {
      await runShape(names);
      n++;
    }
    times.push((performance.now() - start) / n);
  }
  times.sort((a, b) => a - b);
  const widest = Number((await runShape(names)).data[2]);
  console.log(
    `/${expression}/: ${times[2].toFixed(3)} ms per 1000 names, up to ${widest} tokens a name`,
  );
  EDGE_NAMES.forEach((name, i) => {
    const row = data.slice(i * width, (i + 1) * width).filter((t) => t !== "");
    console.log(`  ${JSON.stringify(name)} -> ${JSON.stringify(row)}`);
  });
}

async function main({ positionals }: ParsedOf<typeof command>) {
  const { records } = await benchPassengers();
  const names = columnsOf(take(records, 1000)).strings.Name;
  for (const expression of positionals.length ? positionals : DEFAULT_FORMS) {
    await measure(expression, names);
  }
}

if (import.meta.main) await runCommand(command, main);
