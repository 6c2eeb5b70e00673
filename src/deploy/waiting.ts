/**
 * Waiting for SageMaker: poll a Describe call, print each status change with the time taken,
 * stop on success, fail with AWS's reason on failure or after a timeout.
 * @module
 */

import { DescribeEndpointCommand, DescribeTransformJobCommand } from "@aws-sdk/client-sagemaker";
import type { AwsCaller, AwsClients } from "./aws.ts";

export interface WaitOptions {
  /** Seconds between Describe calls (default 15). */
  pollSeconds?: number;
  /** Give up after this many seconds (default 1800). */
  timeoutSeconds?: number;
}

interface Poll {
  what: string;
  describe: () => Promise<{ status: string; reason?: string; progress?: string }>;
  done: readonly string[];
  failed: readonly string[];
}

/** Polls until a `done` status; throws with the failure reason on a `failed` one. */
export async function pollUntil(caller: AwsCaller, poll: Poll, options: WaitOptions = {}) {
  const { pollSeconds = 15, timeoutSeconds = 1800 } = options;
  if (caller.dryRun) {
    caller.log(`[${caller.mode}] then wait until ${poll.what} is ${poll.done.join(" or ")}`);
    return;
  }
  const started = Date.now();
  let last = "";
  while (true) {
    const { status, reason, progress } = await poll.describe();
    const seconds = Math.round((Date.now() - started) / 1000);
    const line = `${poll.what}: ${status}${progress ? ` (${progress})` : ""}`;
    if (line !== last) {
      caller.log(`${line} (${seconds} s)`);
      last = line;
    }
    if (poll.done.includes(status)) return;
    if (poll.failed.includes(status)) {
      throw new Error(`${poll.what} is ${status}: ${reason ?? "no reason given"}`);
    }
    if (seconds > timeoutSeconds) {
      throw new Error(`${poll.what} still ${status} after ${timeoutSeconds} s`);
    }
    await new Promise((r) => setTimeout(r, pollSeconds * 1000));
  }
}

/** Polls DescribeEndpoint until InService; throws on Failed, RollingBack or OutOfService. */
export function waitInService(
  clients: AwsClients,
  caller: AwsCaller,
  endpoint: string,
  options: WaitOptions = {},
): Promise<void> {
  return pollUntil(caller, {
    what: `endpoint ${endpoint}`,
    describe: async () => {
      const d = await caller.send(
        clients.sagemaker,
        new DescribeEndpointCommand({ EndpointName: endpoint }),
      );
      return { status: String(d.EndpointStatus), reason: d.FailureReason };
    },
    done: ["InService"],
    failed: ["Failed", "RollingBack", "OutOfService"],
  }, options);
}

/** Polls DescribeTransformJob until Completed; throws with the reason on Failed or Stopped. */
export function waitTransformJob(
  clients: AwsClients,
  caller: AwsCaller,
  job: string,
  options: WaitOptions = {},
): Promise<void> {
  return pollUntil(caller, {
    what: `transform job ${job}`,
    describe: async () => {
      const d = await caller.send(
        clients.sagemaker,
        new DescribeTransformJobCommand({ TransformJobName: job }),
      );
      return {
        status: String(d.TransformJobStatus),
        reason: d.FailureReason
          ? `${d.FailureReason} (logs: CloudWatch /aws/sagemaker/TransformJobs, stream ${job}/...)`
          : undefined,
      };
    },
    done: ["Completed"],
    failed: ["Failed", "Stopped"],
  }, { timeoutSeconds: 6 * 3600, ...options });
}
