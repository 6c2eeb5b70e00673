/**
 * `deno task invoke`: send a payload to the endpoint (InvokeEndpoint) or to a local server.
 * @module
 */

import { assertNoProblems, makeClients } from "../deploy/aws.ts";
import {
  contentTypeOf,
  describeInvokeRequest,
  invokeEndpoint,
  invokeUrl,
} from "../deploy/invoke.ts";
import { checkInvokeRequest, checkName } from "../deploy/validation.ts";
import { fail, parseCli, stringOption } from "./args.ts";
import { AWS_USAGE, runAwsMain } from "./aws_main.ts";

const USAGE = `
deno task invoke (--endpoint NAME | --url URL) --file PAYLOAD [options]

Sends PAYLOAD to a SageMaker endpoint (InvokeEndpoint) or, with --url, to the /invocations of a
local server or container (e.g. http://127.0.0.1:8080), and prints the answer. When the model
refuses the input, its own status and message are shown and the exit status is 1.

Options:
  --endpoint NAME       SageMaker endpoint
  --url URL             a local server or container instead
  --file PAYLOAD        the request body
  --content-type T      default from the file name: .json, .csv (text/csv), .jsonl
  --accept A            response type (default: application/json)
  --custom-attributes S X-Amzn-SageMaker-Custom-Attributes
  --explain             ask for TreeSHAP explanations (adds explain=true to the attributes)
  --region R            AWS region (with --endpoint)
  --dry-run             print the request (endpoint or URL, headers, body size and start), send nothing
${AWS_USAGE.split("\n").slice(3).join("\n")}
  -h, --help            show this help
`;

await runAwsMain(async () => {
  const { values } = parseCli(Deno.args, {
    endpoint: { type: "string" },
    url: { type: "string" },
    file: { type: "string" },
    "content-type": { type: "string" },
    accept: { type: "string" },
    "custom-attributes": { type: "string" },
    explain: { type: "boolean" },
    region: { type: "string" },
    "dry-run": { type: "boolean" },
  }, USAGE);
  const file = stringOption(values.file) ?? fail(`--file is required\n${USAGE}`);
  const endpoint = stringOption(values.endpoint);
  const url = stringOption(values.url);
  if (Boolean(endpoint) === Boolean(url)) {
    fail(`give exactly one of --endpoint and --url\n${USAGE}`);
  }
  let body: Uint8Array;
  try {
    body = await Deno.readFile(file);
  } catch (err) {
    fail(`cannot read ${file}: ${(err as Error).message}`);
  }
  const request = {
    body,
    contentType: stringOption(values["content-type"]) ?? contentTypeOf(file),
    accept: stringOption(values.accept) ?? "application/json",
    customAttributes: [stringOption(values["custom-attributes"]), values.explain && "explain=true"]
      .filter(Boolean).join(";") || undefined,
  };
  assertNoProblems([
    ...(endpoint ? checkName("--endpoint", endpoint) : []),
    ...checkInvokeRequest(request, {
      contentType: "--content-type",
      accept: "--accept",
      customAttributes: "--custom-attributes",
    }),
  ]);
  if (values["dry-run"]) {
    console.log(describeInvokeRequest(endpoint ? { endpoint } : { url: url! }, request));
    return;
  }
  const result = url
    ? await invokeUrl(url, request)
    : await invokeEndpoint(makeClients(stringOption(values.region)).runtime, endpoint!, request);
  if (result.modelError) {
    console.error(`the model answered ${result.status}: ${result.body}`);
    Deno.exit(1);
  }
  console.log(result.body.replace(/\n$/, ""));
});
