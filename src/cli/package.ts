/**
 * `deno task package` and `deno task lambda:bundle`: deployment artifacts.
 * @module
 */

import { join } from "node:path";
import { bundleLambda, packageModel } from "../deploy/package.ts";
import { PROJECT_ROOT } from "../util/fs.ts";
import { defineCommand, type ParsedOf, runCommand } from "../util/command.ts";
import { MODEL_FILE_OPTION } from "./shared_options.ts";

export const command = defineCommand({
  task: "deno task package",
  summary: `
Writes model.tar.gz with the ONNX model and its card at the top, the layout SageMaker unpacks
into /opt/ml/model (upload it to S3 and pass it to deno task deploy --model-data).`,
  options: {
    model: MODEL_FILE_OPTION,
    output: {
      type: "string",
      arg: "FILE",
      default: join(PROJECT_ROOT, "build", "model.tar.gz"),
      shownDefault: "build/model.tar.gz",
      help: "archive",
    },
  },
});

export const lambdaCommand = defineCommand({
  task: "deno task lambda:bundle",
  summary: `
Bundles the Lambda proxy (src/deploy/lambda.ts, Node.js 20 runtime, handler index.handler)
with its dependencies into DIR/index.mjs and zips it as DIR.zip, ready to upload.
Set ENDPOINT_NAME on the function.`,
  options: {
    outdir: {
      type: "string",
      arg: "DIR",
      default: join(PROJECT_ROOT, "build", "lambda"),
      shownDefault: "build/lambda",
      help: "output folder",
    },
  },
});

async function packageMain({ values }: ParsedOf<typeof command>) {
  const { bytes, sha256 } = await packageModel(values.model, values.output);
  console.log(`wrote ${values.output} (${bytes} bytes, SHA-256 ${sha256})`);
}

async function lambdaMain({ values }: ParsedOf<typeof lambdaCommand>) {
  const { zip, bytes } = await bundleLambda(values.outdir);
  console.log(`wrote ${zip} (${bytes} bytes): runtime nodejs20.x, handler index.handler`);
}

// deno task lambda:bundle runs this file with "lambda" first.
if (import.meta.main) {
  await (Deno.args[0] === "lambda"
    ? runCommand(lambdaCommand, lambdaMain, {}, Deno.args.slice(1))
    : runCommand(command, packageMain));
}
