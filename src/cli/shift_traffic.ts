/**
 * `deno task shift-traffic`: change the weights of an endpoint's production variants.
 * @module
 */

import { assertNoProblems, AwsCaller, makeClients } from "../deploy/aws.ts";
import { shiftTraffic } from "../deploy/endpoint.ts";
import { parseWeights } from "../deploy/validation.ts";
import { defineCommand, type ParsedOf, runCommand } from "../util/command.ts";
import { AWS_ERRORS, AWS_NOTE, AWS_OPTIONS, ENDPOINT_OPTION, pollSeconds } from "./aws_main.ts";

export const command = defineCommand({
  task: "deno task shift-traffic",
  usage: "--endpoint NAME --weights VARIANT=W,VARIANT=W [options]",
  summary: `
Sets the traffic weights of the endpoint's variants (e.g. primary=0.5,candidate=0.5 after an
A/B deploy) and waits until the endpoint is InService again. Each variant is a SageMaker
name, each weight a finite number >= 0 (at least one above 0).`,
  options: {
    endpoint: { ...ENDPOINT_OPTION, required: true },
    weights: { type: "string", arg: "LIST", required: true, help: "variant=weight pairs" },
    "poll-seconds": pollSeconds(15),
    ...AWS_OPTIONS,
  },
  notes: [AWS_NOTE],
});

export async function main({ values }: ParsedOf<typeof command>) {
  const { endpoint, weights: text } = values;
  const { weights, problems } = parseWeights(text);
  assertNoProblems(problems);
  const caller = new AwsCaller(values["dry-run"]);
  await shiftTraffic(makeClients(values.region), caller, endpoint, weights, {
    pollSeconds: values["poll-seconds"],
  });
  console.log(`traffic of ${endpoint}: ${JSON.stringify(weights)}`);
}

if (import.meta.main) await runCommand(command, main, AWS_ERRORS);
