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

/** Sends commands, printing each one; in dry-run mode prints and sends nothing. */
export class AwsCaller {
  readonly calls: { service: string; operation: string; input: unknown }[] = [];

  constructor(readonly dryRun: boolean, readonly log: (line: string) => void = console.log) {}

  // deno-lint-ignore no-explicit-any
  async send<T = any>(client: AnyClient, command: AnyCommand): Promise<T> {
    const service = client.constructor.name.replace(/Client$/, "");
    const operation = command.constructor.name.replace(/Command$/, "");
    this.calls.push({ service, operation, input: command.input });
    this.log(
      `${this.dryRun ? "[dry-run] " : ""}${service}.${operation} ${JSON.stringify(command.input)}`,
    );
    if (this.dryRun) {
      if (/^(Describe|List|Get)/.test(operation)) {
        throw new DryRunNotFound(`${service}.${operation}`);
      }
      return {} as T;
    }
    return await client.send(command);
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
