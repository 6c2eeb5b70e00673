/**
 * `deno task teardown`: delete the endpoint and the configs and models deploy created.
 * @module
 */

import { AwsCaller, makeClients } from "../deploy/aws.ts";
import { deleteAlarms, findAlarms } from "../deploy/alarms.ts";
import { planTeardown, teardown } from "../deploy/sagemaker.ts";
import { fail, parseCli, stringOption } from "./args.ts";
import { AWS_OPTIONS, AWS_USAGE, runAwsMain } from "./aws_main.ts";

const USAGE = `
deno task teardown --endpoint NAME [--yes] [options]

Lists the endpoint, its endpoint configs and models (those deploy created, named
"<endpoint>-..."), autoscaling targets and the alarms of deploy --alarms; with --yes deletes
them. Without --yes it only shows what would be deleted.

Options:
  --endpoint NAME   endpoint name
  --yes             really delete
${AWS_USAGE}
  -h, --help        show this help
`;

await runAwsMain(async () => {
  const { values } = parseCli(Deno.args, {
    endpoint: { type: "string" },
    yes: { type: "boolean" },
    ...AWS_OPTIONS,
  }, USAGE);
  const endpoint = stringOption(values.endpoint) ?? fail(`--endpoint is required\n${USAGE}`);
  const clients = makeClients(stringOption(values.region));
  const dryRun = Boolean(values["dry-run"]);
  const plan = await planTeardown(clients, new AwsCaller(dryRun), endpoint);
  const alarms = await findAlarms(clients, new AwsCaller(dryRun), endpoint);
  console.log(`endpoint: ${plan.endpoint ?? "(none)"}`);
  console.log(`endpoint configs: ${plan.configs.join(", ") || "(none)"}`);
  console.log(`models: ${plan.models.join(", ") || "(none)"}`);
  console.log(`autoscaling targets: ${plan.scalingTargets.join(", ") || "(none)"}`);
  console.log(`alarms: ${alarms.join(", ") || "(none)"}`);
  if (
    !plan.endpoint && plan.configs.length === 0 && plan.models.length === 0 &&
    alarms.length === 0 && !dryRun
  ) {
    console.log("nothing to delete");
    return;
  }
  if (!values.yes && !dryRun) {
    console.error("nothing deleted: run again with --yes to delete these");
    Deno.exit(1);
  }
  await teardown(clients, new AwsCaller(dryRun), plan);
  await deleteAlarms(clients, new AwsCaller(dryRun), alarms);
  console.log(dryRun ? "dry run: nothing deleted" : `deleted ${endpoint}`);
});
