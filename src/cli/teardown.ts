/**
 * `deno task teardown`: delete the endpoint and the configs and models tagged as its own.
 * @module
 */

import { AwsCaller, makeClients } from "../deploy/aws.ts";
import { teardownWorld } from "../deploy/dry_run.ts";
import { deleteAlarms, findAlarms } from "../deploy/alarms.ts";
import { describeTeardown, planTeardown, teardown } from "../deploy/teardown.ts";
import { defineCommand, type ParsedOf, runCommand } from "../util/command.ts";
import { AWS_ERRORS, AWS_NOTE, AWS_OPTIONS, ENDPOINT_OPTION } from "./aws_main.ts";

export const command = defineCommand({
  task: "deno task teardown",
  usage: "--endpoint NAME [--yes] [options]",
  summary: `
Finds the endpoint and the endpoint configs and models tagged project=titanic-deno and
endpoint=NAME (by their tags, never by name: a sibling such as NAME-v2 keeps its own), the
endpoint's autoscaling, and the alarms of deploy --alarms (by their EndpointName dimension); a
config or model another endpoint still uses is kept. Without --yes (or with --plan) it only
reads (Describe/List calls) and shows what would be deleted; with --yes it deletes them.`,
  options: {
    endpoint: { ...ENDPOINT_OPTION, required: true },
    yes: { type: "boolean", help: "really delete" },
    plan: { type: "boolean", help: "only show what would be deleted (the default without --yes)" },
    ...AWS_OPTIONS,
  },
  notes: [AWS_NOTE, "--dry-run shows the calls against an example account, offline."],
});

export async function main({ values }: ParsedOf<typeof command>): Promise<number | void> {
  const { endpoint } = values;
  const clients = makeClients(values.region);
  const world = values["dry-run"] ? teardownWorld(endpoint) : undefined;
  if (world) console.log(`# dry run, ${world.title}:`);
  const reader = world
    ? new AwsCaller("dry-run", console.log, world.simulate)
    : new AwsCaller("plan", () => {});
  const plan = await planTeardown(clients, reader, endpoint);
  const alarms = await findAlarms(clients, reader, endpoint);
  console.log(`\n${values.yes && !world ? "deleting" : "would delete"}:`);
  for (const line of describeTeardown(plan)) console.log(`  ${line}`);
  if (alarms.length) console.log(`  alarms: ${alarms.join(", ")}`);
  if (
    !plan.endpoint && plan.configs.length === 0 && plan.models.length === 0 && alarms.length === 0
  ) {
    console.log("nothing to delete");
    return;
  }
  if (world) {
    const dry = new AwsCaller("dry-run", console.log, world.simulate);
    await teardown(clients, dry, plan);
    await deleteAlarms(clients, dry, alarms);
    console.log("dry run: nothing deleted");
    return;
  }
  if (!values.yes || values.plan) {
    console.error("nothing deleted: run again with --yes to delete these");
    return values.plan ? 0 : 1;
  }
  await teardown(clients, new AwsCaller("live"), plan);
  await deleteAlarms(clients, new AwsCaller("live"), alarms);
  console.log(`deleted ${endpoint}`);
}

if (import.meta.main) await runCommand(command, main, AWS_ERRORS);
