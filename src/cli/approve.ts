/**
 * `deno task approve`: approve (or reject) a model version in the registry.
 * @module
 */

import { AwsCaller, makeClients } from "../deploy/aws.ts";
import { approve } from "../deploy/registry.ts";
import { fail, intOption, parseCli, stringOption } from "./args.ts";
import { AWS_OPTIONS, AWS_USAGE, runAwsMain } from "./aws_main.ts";

const USAGE = `
deno task approve --group NAME [--version N | --package ARN] [options]

Sets a model package version's status to Approved (UpdateModelPackage): version N of the
group, the package ARN given, or else the group's newest version. deno task deploy
--model-package latest-approved deploys the newest approved version.

Options:
  --group NAME        model package group
  --version N         version number (default: the newest)
  --package ARN       the version's ARN instead
  --reject            set Rejected instead of Approved
  --description TEXT  approval description
${AWS_USAGE}
  -h, --help          show this help
`;

await runAwsMain(async () => {
  const { values } = parseCli(Deno.args, {
    group: { type: "string" },
    version: { type: "string" },
    package: { type: "string" },
    reject: { type: "boolean" },
    description: { type: "string" },
    ...AWS_OPTIONS,
  }, USAGE);
  const group = stringOption(values.group) ?? fail(`--group is required\n${USAGE}`);
  const version = values.version === undefined
    ? undefined
    : intOption("version", values.version, 0);
  if (version !== undefined && version < 1) fail("--version must be 1 or more");
  const arn = stringOption(values.package);
  if (arn && version !== undefined) fail("pass --version or --package, not both");
  const status = values.reject ? "Rejected" : "Approved";
  const caller = new AwsCaller(Boolean(values["dry-run"]));
  const done = await approve(makeClients(stringOption(values.region)), caller, {
    group,
    version,
    arn,
    status,
    description: stringOption(values.description),
  });
  console.log(`\n${done}: ${status}${caller.dryRun ? " (dry run)" : ""}`);
});
