/**
 * What the AWS tasks share: the --region and --dry-run options, and turning AWS failures into
 * a plain message and exit status 1.
 * @module
 */

import { explainAwsError, InvalidOptions } from "../deploy/aws.ts";
import type { Options } from "./args.ts";

export const AWS_OPTIONS: Options = {
  region: { type: "string" },
  "dry-run": { type: "boolean" },
};

export const AWS_USAGE = `
  --region R      AWS region (default: the AWS chain: AWS_REGION, the profile)
  --dry-run       print every API call with its input and make none
Credentials come from the standard AWS chain (environment, profile, SSO, instance role).`;

/** Runs a task's main; AWS and usage errors end with a message, not a stack trace. */
export async function runAwsMain(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    console.error(`error: ${explainAwsError(err)}`);
    Deno.exit(err instanceof InvalidOptions ? 2 : 1); // bad options are usage errors
  }
}
