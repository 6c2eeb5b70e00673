/**
 * `deno task shift-traffic`: change the weights of an endpoint's production variants.
 * @module
 */

import { assertNoProblems, AwsCaller, makeClients } from "../deploy/aws.ts";
import { shiftTraffic } from "../deploy/endpoint.ts";
import { parseWeights } from "../deploy/validation.ts";
import { fail, intOption, parseCli, stringOption } from "./args.ts";
import { AWS_OPTIONS, AWS_USAGE, runAwsMain } from "./aws_main.ts";

const USAGE = `
deno task shift-traffic --endpoint NAME --weights VARIANT=W,VARIANT=W [options]

Sets the traffic weights of the endpoint's variants (e.g. primary=0.5,candidate=0.5 after an
A/B deploy) and waits until the endpoint is InService again. Each variant is a SageMaker
name, each weight a finite number >= 0 (at least one above 0).

Options:
  --endpoint NAME    endpoint name
  --weights LIST     variant=weight pairs
  --poll-seconds N   seconds between status checks (default: 15)
${AWS_USAGE}
  -h, --help         show this help
`;

await runAwsMain(async () => {
  const { values } = parseCli(Deno.args, {
    endpoint: { type: "string" },
    weights: { type: "string" },
    "poll-seconds": { type: "string" },
    ...AWS_OPTIONS,
  }, USAGE);
  const endpoint = stringOption(values.endpoint) ?? fail(`--endpoint is required\n${USAGE}`);
  const text = stringOption(values.weights) ?? fail(`--weights is required\n${USAGE}`);
  const { weights, problems } = parseWeights(text);
  assertNoProblems(problems);
  const caller = new AwsCaller(Boolean(values["dry-run"]));
  await shiftTraffic(makeClients(stringOption(values.region)), caller, endpoint, weights, {
    pollSeconds: intOption("poll-seconds", values["poll-seconds"], 15),
  });
  console.log(`traffic of ${endpoint}: ${JSON.stringify(weights)}`);
});
