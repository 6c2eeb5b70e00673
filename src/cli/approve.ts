/**
 * `deno task approve`: approve (or reject) a model version in the registry.
 * @module
 */

import { AwsCaller, makeClients } from "../deploy/aws.ts";
import { approve } from "../deploy/registry.ts";
import { badUsage, defineCommand, type ParsedOf, runCommand } from "../util/command.ts";
import { AWS_ERRORS, AWS_NOTE, AWS_OPTIONS } from "./aws_main.ts";

export const command = defineCommand({
  task: "deno task approve",
  usage: "--group NAME [--version N | --package ARN] [options]",
  summary: `
Sets a model package version's status to Approved (UpdateModelPackage): version N of the
group, the package ARN given, or else the group's newest version. deno task deploy
--model-package latest-approved deploys the newest approved version.`,
  options: {
    group: { type: "string", arg: "NAME", required: true, help: "model package group" },
    version: { type: "integer", min: 1, help: "version number (default: the newest)" },
    package: { type: "string", arg: "ARN", help: "the version's ARN instead" },
    reject: { type: "boolean", help: "set Rejected instead of Approved" },
    description: { type: "string", help: "approval description" },
    ...AWS_OPTIONS,
  },
  notes: [AWS_NOTE],
});

export async function main({ values }: ParsedOf<typeof command>) {
  const { group, version, package: arn } = values;
  if (arn && version !== undefined) badUsage("pass --version or --package, not both");
  const status = values.reject ? "Rejected" : "Approved";
  const caller = new AwsCaller(values["dry-run"]);
  const done = await approve(makeClients(values.region), caller, {
    group,
    version,
    arn,
    status,
    description: values.description,
  });
  console.log(`\n${done}: ${status}${caller.dryRun ? " (dry run)" : ""}`);
}

if (import.meta.main) await runCommand(command, main, AWS_ERRORS);
