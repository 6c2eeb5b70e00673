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
import { badUsage, defineCommand, type ParsedOf, runCommand } from "../util/command.ts";
import { AWS_ERRORS, AWS_NOTE, AWS_OPTIONS, ENDPOINT_OPTION } from "./aws_main.ts";

export const command = defineCommand({
  task: "deno task invoke",
  usage: "(--endpoint NAME | --url URL) --file PAYLOAD [options]",
  summary: `
Sends PAYLOAD to a SageMaker endpoint (InvokeEndpoint) or, with --url, to the /invocations of a
local server or container (e.g. http://127.0.0.1:8080), and prints the answer. When the model
refuses the input, its own status and message are shown and the exit status is 1.`,
  options: {
    endpoint: { ...ENDPOINT_OPTION, help: "SageMaker endpoint" },
    url: { type: "string", arg: "URL", help: "a local server or container instead" },
    file: { type: "string", arg: "PAYLOAD", required: true, help: "the request body" },
    "content-type": {
      type: "string",
      arg: "T",
      help: "default from the file name: .json, .csv (text/csv), .jsonl",
    },
    accept: { type: "string", arg: "A", default: "application/json", help: "response type" },
    "custom-attributes": { type: "string", arg: "S", help: "X-Amzn-SageMaker-Custom-Attributes" },
    explain: {
      type: "boolean",
      help: "ask for TreeSHAP explanations (adds explain=true to the attributes)",
    },
    ...AWS_OPTIONS,
    region: { ...AWS_OPTIONS.region, help: "AWS region (with --endpoint)" },
    "dry-run": {
      type: "boolean",
      help: "print the request (endpoint or URL, headers, body size and start), send nothing",
    },
  },
  notes: [AWS_NOTE],
});

export async function main({ values }: ParsedOf<typeof command>) {
  const { file, endpoint, url } = values;
  if (Boolean(endpoint) === Boolean(url)) badUsage("give exactly one of --endpoint and --url");
  let body: Uint8Array;
  try {
    body = await Deno.readFile(file);
  } catch (err) {
    badUsage(`cannot read ${file}: ${(err as Error).message}`);
  }
  const request = {
    body,
    contentType: values["content-type"] ?? contentTypeOf(file),
    accept: values.accept,
    customAttributes: [values["custom-attributes"], values.explain && "explain=true"]
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
    : await invokeEndpoint(makeClients(values.region).runtime, endpoint!, request);
  if (result.modelError) {
    console.error(`the model answered ${result.status}: ${result.body}`);
    Deno.exit(1);
  }
  console.log(result.body.replace(/\n$/, ""));
}

if (import.meta.main) await runCommand(command, main, AWS_ERRORS);
