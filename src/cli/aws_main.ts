/**
 * What the AWS tasks share: the --region and --dry-run options, --endpoint and --poll-seconds,
 * the note on credentials, and how AWS failures read (a plain message; options AWS's rules refuse are usage errors, exit 2).
 * @module
 */

import { explainAwsError, InvalidOptions } from "../deploy/aws.ts";
import type { ErrorPolicy, Options } from "../util/command.ts";

export const AWS_OPTIONS = {
  region: {
    type: "string",
    arg: "R",
    help: "AWS region (default: the AWS chain: AWS_REGION, the profile)",
  },
  "dry-run": { type: "boolean", help: "print every API call with its input and make none" },
} as const satisfies Options;

/** The SageMaker endpoint a task works on (AWS's naming rules are checked before any call). */
export const ENDPOINT_OPTION = {
  type: "string",
  arg: "NAME",
  help: "endpoint name, 1-63 letters, digits, hyphens",
} as const;

/** How often a task that waits for AWS asks again. */
export function pollSeconds(seconds: number) {
  return {
    type: "integer",
    min: 1,
    default: seconds,
    help: "seconds between status checks",
  } as const;
}

export const AWS_NOTE =
  "Credentials come from the standard AWS chain (environment, profile, SSO, instance role).";

export const AWS_ERRORS: ErrorPolicy = {
  explain: explainAwsError,
  isUsage: (err) => err instanceof InvalidOptions,
};
