/**
 * AWS plumbing shared by the deploy tasks: the SDK clients (credentials and region from the
 * standard AWS chain), a caller that prints every API call and, in dry-run mode, makes none,
 * and plain-language explanations of the errors users actually hit.
 * @module
 */

import { ApplicationAutoScalingClient } from "@aws-sdk/client-application-auto-scaling";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { ECRClient } from "@aws-sdk/client-ecr";
import { S3Client } from "@aws-sdk/client-s3";
import { SageMakerClient } from "@aws-sdk/client-sagemaker";
import { SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";

/** The clients a deployment uses. */
export interface AwsClients {
  sagemaker: SageMakerClient;
  runtime: SageMakerRuntimeClient;
  autoscaling: ApplicationAutoScalingClient;
  ecr: ECRClient;
  cloudwatch: CloudWatchClient;
  s3: S3Client;
}

/** Clients for `region` (default: the AWS chain, e.g. AWS_REGION or the profile). */
export function makeClients(region?: string): AwsClients {
  const config = region ? { region } : {};
  return {
    sagemaker: new SageMakerClient(config),
    runtime: new SageMakerRuntimeClient(config),
    autoscaling: new ApplicationAutoScalingClient(config),
    ecr: new ECRClient(config),
    cloudwatch: new CloudWatchClient(config),
    s3: new S3Client(config),
  };
}

// deno-lint-ignore no-explicit-any
type AnyClient = { send(command: any): Promise<any>; constructor: { name: string } };
// deno-lint-ignore no-explicit-any
type AnyCommand = { input: any; constructor: { name: string } };

/** Thrown for a read call in dry-run mode: the resource is taken not to exist. */
export class DryRunNotFound extends Error {
  constructor(readonly call: string) {
    super(`dry run: ${call} was not made`);
    this.name = "DryRunNotFound";
  }
}

/** Options that break AWS's rules, found before any call; each names the option and the rule. */
export class InvalidOptions extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "InvalidOptions";
  }
}

/** Throws {@link InvalidOptions} when there are problems. */
export function assertNoProblems(problems: string[]): void {
  if (problems.length > 0) throw new InvalidOptions(problems);
}

/**
 * How calls go out: "live" sends them all; "plan" sends only reads (Describe/List/Get) and
 * refuses any other call; "dry-run" sends nothing, answering reads from a simulator (or "not
 * found") so that the path the code would take is printed offline.
 */
export type CallMode = "live" | "plan" | "dry-run";

/** Dry-run answers to read calls; undefined means "no such resource". */
// deno-lint-ignore no-explicit-any
export type Simulator = (service: string, operation: string, input: any) => unknown;

const READ_CALL = /^(Describe|List|Get)/;

/** Sends commands, printing each one; what it sends depends on the {@link CallMode}. */
export class AwsCaller {
  readonly calls: { service: string; operation: string; input: unknown }[] = [];
  readonly mode: CallMode;

  constructor(
    mode: CallMode | boolean,
    readonly log: (line: string) => void = console.log,
    readonly simulate?: Simulator,
  ) {
    this.mode = mode === true ? "dry-run" : mode === false ? "live" : mode;
  }

  /** True when nothing may change (a dry run or a plan): waits and writes are skipped. */
  get dryRun(): boolean {
    return this.mode !== "live";
  }

  // deno-lint-ignore no-explicit-any
  async send<T = any>(client: AnyClient, command: AnyCommand): Promise<T> {
    const service = client.constructor.name.replace(/Client$/, "");
    const operation = command.constructor.name.replace(/Command$/, "");
    const read = READ_CALL.test(operation);
    if (this.mode === "plan" && !read) {
      throw new Error(`plan: ${service}.${operation} changes something and was not made`);
    }
    this.calls.push({ service, operation, input: command.input });
    const prefix = this.mode === "live" ? "" : `[${this.mode}] `;
    this.log(`${prefix}${service}.${operation} ${JSON.stringify(command.input)}`);
    if (this.mode !== "dry-run") return await client.send(command);
    if (!read) return {} as T;
    const answer = this.simulate?.(service, operation, command.input);
    if (answer === undefined) throw new DryRunNotFound(`${service}.${operation}`);
    return answer as T;
  }
}

/** The error's AWS name (ValidationException, ResourceNotFound, ...). */
export function errorName(err: unknown): string {
  return (err as { name?: string })?.name ?? "";
}

/** True when a Describe call says the resource does not exist. */
export function isNotFound(err: unknown): boolean {
  if (err instanceof DryRunNotFound) return true;
  const name = errorName(err);
  const message = String((err as Error)?.message ?? "");
  return name === "ResourceNotFound" || name === "RepositoryNotFoundException" ||
    name === "ObjectNotFoundException" ||
    (name === "ValidationException" && /could not find|does not exist|not found/i.test(message));
}

/** A one-paragraph explanation of an AWS failure, instead of a stack trace. */
export function explainAwsError(err: unknown): string {
  if (err instanceof InvalidOptions) return err.problems.join("\n       ");
  const name = errorName(err);
  const message = String((err as Error)?.message ?? err);
  if (name === "CredentialsProviderError" || /Could not load credentials/i.test(message)) {
    return "no AWS credentials found: set AWS_PROFILE (with `aws configure` or SSO) or " +
      "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY";
  }
  if (/Region is missing/i.test(message)) {
    return "no AWS region: pass --region or set AWS_REGION (or a region in your profile)";
  }
  if (
    name === "AccessDeniedException" || name === "AccessDenied" || /not authorized/i.test(message)
  ) {
    return `permission denied: ${message}\nThe caller needs the SageMaker, ECR and Application ` +
      "Auto Scaling permissions for this command (e.g. AmazonSageMakerFullAccess).";
  }
  if (/role/i.test(message) && name === "ValidationException") {
    return `the execution role was refused: ${message}\nPass --role with an IAM role that ` +
      "SageMaker can assume (trust policy for sagemaker.amazonaws.com) and that can read the image " +
      "and the model data.";
  }
  if (name === "UnrecognizedClientException" || name === "InvalidSignatureException") {
    return `the AWS credentials were rejected: ${message}`;
  }
  return `${name || "error"}: ${message}`;
}
