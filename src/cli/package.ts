/**
 * `deno task package` and `deno task lambda:bundle`: deployment artifacts.
 * @module
 */

import { join } from "node:path";
import { bundleLambda, packageModel } from "../deploy/package.ts";
import { PROJECT_ROOT } from "../util/fs.ts";
import { parseCli, runMain, stringOption } from "./args.ts";

const LAMBDA = Deno.args[0] === "lambda";
const USAGE = LAMBDA
  ? `
deno task lambda:bundle [--outdir DIR]

Bundles the Lambda proxy (src/deploy/lambda.ts, Node.js 20 runtime, handler index.handler)
with its dependencies into DIR/index.mjs and zips it as DIR.zip, ready to upload.
Set ENDPOINT_NAME on the function.

Options:
  --outdir DIR   output folder (default: build/lambda)
  -h, --help     show this help
`
  : `
deno task package [--model FILE] [--output FILE]

Writes model.tar.gz with the ONNX model and its card at the top, the layout SageMaker unpacks
into /opt/ml/model (upload it to S3 and pass it to deno task deploy --model-data).

Options:
  --model FILE    ONNX model; its card is the .json beside it (default: models/titanic.onnx)
  --output FILE   archive (default: build/model.tar.gz)
  -h, --help      show this help
`;

await runMain(async () => {
  const args = LAMBDA ? Deno.args.slice(1) : Deno.args;
  if (LAMBDA) {
    const { values } = parseCli(args, { outdir: { type: "string" } }, USAGE);
    const dir = stringOption(values.outdir) ?? join(PROJECT_ROOT, "build", "lambda");
    const { zip, bytes } = await bundleLambda(dir);
    console.log(`wrote ${zip} (${bytes} bytes): runtime nodejs20.x, handler index.handler`);
    return;
  }
  const { values } = parseCli(
    args,
    { model: { type: "string" }, output: { type: "string" } },
    USAGE,
  );
  const model = stringOption(values.model) ?? join(PROJECT_ROOT, "models", "titanic.onnx");
  const output = stringOption(values.output) ?? join(PROJECT_ROOT, "build", "model.tar.gz");
  const { bytes, sha256 } = await packageModel(model, output);
  console.log(`wrote ${output} (${bytes} bytes, SHA-256 ${sha256})`);
});
