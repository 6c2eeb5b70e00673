/**
 * SageMaker deployment: model(s), endpoint config, endpoint (created, or rolled to the new
 * config when it exists), a wait until InService with progress, autoscaling, a second
 * production variant for A/B tests, traffic shifts and teardown. Resource names are derived
 * from the configuration, so running the same deploy again changes nothing.
 * @module
 */

import {
  DeleteScalingPolicyCommand,
  DeregisterScalableTargetCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from "@aws-sdk/client-application-auto-scaling";
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  type DataCaptureConfig,
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  ListEndpointConfigsCommand,
  ListModelsCommand,
  type ProductionVariant,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
} from "@aws-sdk/client-sagemaker";
import { type AwsCaller, type AwsClients, DryRunNotFound, isNotFound } from "./aws.ts";

/** One production variant. */
export interface VariantSpec {
  name: string;
  image: string;
  /** s3:// URL of model.tar.gz; without it the model baked into the image serves. */
  modelData?: string;
  /** A registered model package (src/deploy/registry.ts) instead of image and model data. */
  modelPackage?: string;
  weight: number;
}

export interface DeploySpec {
  endpoint: string;
  role: string;
  variants: VariantSpec[];
  instanceType: string;
  instanceCount: number;
  /** Serverless instead of instances. */
  serverless?: { memoryMb: number; maxConcurrency: number };
  /** Target tracking on invocations per instance per minute. */
  autoscaling?: { min: number; max: number; invocationsPerInstance: number };
  /** Request/response capture to S3 (src/deploy/capture.ts). */
  dataCapture?: DataCaptureConfig;
}

export interface WaitOptions {
  /** Seconds between DescribeEndpoint calls (default 15). */
  pollSeconds?: number;
  /** Give up after this many seconds (default 1800). */
  timeoutSeconds?: number;
}

const TAGS = [{ Key: "managed-by", Value: "titanic-deno" }];

/** A short stable hash of a value (FNV-1a over its JSON), for resource names. */
export function shortHash(value: unknown): string {
  let h = 0x811c9dc5;
  for (const c of new TextEncoder().encode(JSON.stringify(value))) {
    h ^= c;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/** Checks a spec; returns the problem or undefined. */
export function validateSpec(spec: DeploySpec): string | undefined {
  if (!/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(spec.endpoint)) {
    return `endpoint name "${spec.endpoint}" must be 1-63 letters, digits and hyphens`;
  }
  if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+/.test(spec.role)) {
    return `--role must be an IAM role ARN (arn:aws:iam::123456789012:role/NAME), got "${spec.role}"`;
  }
  for (const v of spec.variants) {
    if (v.modelData && !v.modelData.startsWith("s3://")) return `model data must be an s3:// URL`;
    if (!(v.weight >= 0)) return `variant ${v.name}: weight must be >= 0`;
  }
  if (spec.serverless && spec.autoscaling) {
    return "autoscaling applies to instance-based endpoints, not serverless ones";
  }
  if (spec.serverless && spec.dataCapture) {
    return "data capture applies to instance-based endpoints, not serverless ones";
  }
  if (spec.autoscaling && spec.autoscaling.min > spec.autoscaling.max) {
    return "autoscaling: min must not exceed max";
  }
  return undefined;
}

/** Model names and the endpoint config name for a spec (stable across runs). */
export function resourceNames(spec: DeploySpec): { models: string[]; config: string } {
  const models = spec.variants.map((v) =>
    `${spec.endpoint}-${v.name}-${
      shortHash([
        v.image,
        v.modelData ?? "",
        spec.role,
        ...(v.modelPackage ? [v.modelPackage] : []),
      ])
    }`.slice(0, 63)
  );
  const config = `${spec.endpoint}-${
    shortHash([
      models,
      spec.variants.map((v) => v.weight),
      spec.instanceType,
      spec.instanceCount,
      spec.serverless ?? null,
      ...(spec.dataCapture ? [spec.dataCapture] : []), // absent: the names deploy gave before
    ])
  }`.slice(0, 63);
  return { models, config };
}

async function exists(describe: () => Promise<unknown>): Promise<boolean> {
  try {
    await describe();
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** Creates or updates everything; resolves when the endpoint is InService. */
export async function deploy(
  clients: AwsClients,
  caller: AwsCaller,
  spec: DeploySpec,
  wait: WaitOptions = {},
): Promise<{ endpoint: string; config: string; models: string[]; action: string }> {
  const problem = validateSpec(spec);
  if (problem) throw new Error(problem);
  const { models, config } = resourceNames(spec);
  const sm = clients.sagemaker;

  for (const [i, variant] of spec.variants.entries()) {
    const ModelName = models[i];
    if (await exists(() => caller.send(sm, new DescribeModelCommand({ ModelName })))) {
      caller.log(`model ${ModelName} exists`);
      continue;
    }
    await caller.send(
      sm,
      new CreateModelCommand({
        ModelName,
        ExecutionRoleArn: spec.role,
        PrimaryContainer: {
          ...(variant.modelPackage ? { ModelPackageName: variant.modelPackage } : {
            Image: variant.image,
            ...(variant.modelData ? { ModelDataUrl: variant.modelData } : {}),
          }),
          // The endpoint and variant name the container's metrics (container/metrics.ts).
          Environment: {
            SAGEMAKER_MAX_PAYLOAD_IN_MB: "6",
            ENDPOINT_NAME: spec.endpoint,
            VARIANT_NAME: variant.name,
          },
        },
        Tags: TAGS,
      }),
    );
  }

  if (
    !(await exists(() =>
      caller.send(sm, new DescribeEndpointConfigCommand({ EndpointConfigName: config }))
    ))
  ) {
    const variants: ProductionVariant[] = spec.variants.map((v, i) => ({
      VariantName: v.name,
      ModelName: models[i],
      InitialVariantWeight: v.weight,
      ...(spec.serverless
        ? {
          ServerlessConfig: {
            MemorySizeInMB: spec.serverless.memoryMb,
            MaxConcurrency: spec.serverless.maxConcurrency,
          },
        }
        : {
          InstanceType: spec.instanceType as ProductionVariant["InstanceType"],
          InitialInstanceCount: spec.instanceCount,
          ContainerStartupHealthCheckTimeoutInSeconds: 120,
        }),
    }));
    await caller.send(
      sm,
      new CreateEndpointConfigCommand({
        EndpointConfigName: config,
        ProductionVariants: variants,
        ...(spec.dataCapture ? { DataCaptureConfig: spec.dataCapture } : {}),
        Tags: TAGS,
      }),
    );
  } else {
    caller.log(`endpoint config ${config} exists`);
  }

  let current: { EndpointConfigName?: string; EndpointStatus?: string } | undefined;
  try {
    current = await caller.send(sm, new DescribeEndpointCommand({ EndpointName: spec.endpoint }));
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  let action: string;
  if (!current) {
    await caller.send(
      sm,
      new CreateEndpointCommand({
        EndpointName: spec.endpoint,
        EndpointConfigName: config,
        Tags: TAGS,
      }),
    );
    action = "created";
  } else if (current.EndpointConfigName === config) {
    action = "unchanged";
    caller.log(`endpoint ${spec.endpoint} already uses ${config}`);
  } else {
    await caller.send(
      sm,
      new UpdateEndpointCommand({ EndpointName: spec.endpoint, EndpointConfigName: config }),
    );
    action = "updated";
  }
  if (!caller.dryRun) await waitInService(clients, caller, spec.endpoint, wait);
  if (spec.autoscaling) {
    for (const v of spec.variants) {
      await autoscale(clients, caller, spec.endpoint, v.name, spec.autoscaling);
    }
  }
  return { endpoint: spec.endpoint, config, models, action };
}

/** Polls DescribeEndpoint, printing each status change, until InService; throws on Failed. */
export async function waitInService(
  clients: AwsClients,
  caller: AwsCaller,
  endpoint: string,
  options: WaitOptions = {},
): Promise<void> {
  const { pollSeconds = 15, timeoutSeconds = 1800 } = options;
  const started = Date.now();
  let last = "";
  while (true) {
    const d = await caller.send(
      clients.sagemaker,
      new DescribeEndpointCommand({ EndpointName: endpoint }),
    );
    const status = String(d.EndpointStatus);
    if (status !== last) {
      caller.log(
        `endpoint ${endpoint}: ${status} (${Math.round((Date.now() - started) / 1000)} s)`,
      );
      last = status;
    }
    if (status === "InService") return;
    if (status === "Failed" || status === "RollingBack" || status === "OutOfService") {
      throw new Error(`endpoint ${endpoint} is ${status}: ${d.FailureReason ?? "no reason given"}`);
    }
    if ((Date.now() - started) / 1000 > timeoutSeconds) {
      throw new Error(`endpoint ${endpoint} still ${status} after ${timeoutSeconds} s`);
    }
    await new Promise((r) => setTimeout(r, pollSeconds * 1000));
  }
}

async function autoscale(
  clients: AwsClients,
  caller: AwsCaller,
  endpoint: string,
  variant: string,
  policy: { min: number; max: number; invocationsPerInstance: number },
): Promise<void> {
  const ResourceId = `endpoint/${endpoint}/variant/${variant}`;
  const target = {
    ServiceNamespace: "sagemaker" as const,
    ResourceId,
    ScalableDimension: "sagemaker:variant:DesiredInstanceCount" as const,
  };
  await caller.send(
    clients.autoscaling,
    new RegisterScalableTargetCommand({
      ...target,
      MinCapacity: policy.min,
      MaxCapacity: policy.max,
    }),
  );
  await caller.send(
    clients.autoscaling,
    new PutScalingPolicyCommand({
      ...target,
      PolicyName: `${endpoint}-${variant}-invocations`,
      PolicyType: "TargetTrackingScaling",
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: policy.invocationsPerInstance,
        PredefinedMetricSpecification: {
          PredefinedMetricType: "SageMakerVariantInvocationsPerInstance",
        },
        ScaleInCooldown: 300,
        ScaleOutCooldown: 60,
      },
    }),
  );
}

/** Sets the traffic weights of an endpoint's variants (A/B shifts). */
export async function shiftTraffic(
  clients: AwsClients,
  caller: AwsCaller,
  endpoint: string,
  weights: Record<string, number>,
  wait: WaitOptions = {},
): Promise<void> {
  await caller.send(
    clients.sagemaker,
    new UpdateEndpointWeightsAndCapacitiesCommand({
      EndpointName: endpoint,
      DesiredWeightsAndCapacities: Object.entries(weights).map(([VariantName, DesiredWeight]) => ({
        VariantName,
        DesiredWeight,
      })),
    }),
  );
  if (!caller.dryRun) await waitInService(clients, caller, endpoint, wait);
}

/** What teardown would delete. */
export interface TeardownPlan {
  endpoint?: string;
  configs: string[];
  models: string[];
  scalingTargets: string[];
}

/** Finds the endpoint, its configs and models (this tool's naming: "<endpoint>-..."). */
export async function planTeardown(
  clients: AwsClients,
  caller: AwsCaller,
  endpoint: string,
): Promise<TeardownPlan> {
  const sm = clients.sagemaker;
  const plan: TeardownPlan = { configs: [], models: [], scalingTargets: [] };
  try {
    const d = await caller.send(sm, new DescribeEndpointCommand({ EndpointName: endpoint }));
    plan.endpoint = endpoint;
    const config = await caller.send(
      sm,
      new DescribeEndpointConfigCommand({ EndpointConfigName: d.EndpointConfigName }),
    );
    plan.configs.push(d.EndpointConfigName);
    for (const v of config.ProductionVariants ?? []) {
      plan.models.push(v.ModelName);
      if (!v.ServerlessConfig) {
        plan.scalingTargets.push(`endpoint/${endpoint}/variant/${v.VariantName}`);
      }
    }
  } catch (err) {
    if (!isNotFound(err)) throw err; // no endpoint: leftovers may remain
  }
  const prefix = `${endpoint}-`;
  const ours = (name: string) => name.startsWith(prefix) && /-[0-9a-f]{8}$/.test(name);
  try {
    const configs = await caller.send(
      sm,
      new ListEndpointConfigsCommand({ NameContains: endpoint, MaxResults: 100 }),
    );
    for (const c of configs.EndpointConfigs ?? []) {
      if (ours(c.EndpointConfigName) && !plan.configs.includes(c.EndpointConfigName)) {
        plan.configs.push(c.EndpointConfigName);
      }
    }
    const models = await caller.send(
      sm,
      new ListModelsCommand({ NameContains: endpoint, MaxResults: 100 }),
    );
    for (const m of models.Models ?? []) {
      if (ours(m.ModelName) && !plan.models.includes(m.ModelName)) plan.models.push(m.ModelName);
    }
  } catch (err) {
    if (!(err instanceof DryRunNotFound)) throw err;
  }
  return plan;
}

/** Deletes what {@link planTeardown} found. */
export async function teardown(
  clients: AwsClients,
  caller: AwsCaller,
  plan: TeardownPlan,
): Promise<void> {
  const sm = clients.sagemaker;
  for (const ResourceId of plan.scalingTargets) {
    const target = {
      ServiceNamespace: "sagemaker" as const,
      ResourceId,
      ScalableDimension: "sagemaker:variant:DesiredInstanceCount" as const,
    };
    const [, endpoint, , variant] = ResourceId.split("/");
    for (
      const call of [
        () =>
          caller.send(
            clients.autoscaling,
            new DeleteScalingPolicyCommand({
              ...target,
              PolicyName: `${endpoint}-${variant}-invocations`,
            }),
          ),
        () => caller.send(clients.autoscaling, new DeregisterScalableTargetCommand(target)),
      ]
    ) {
      try {
        await call();
      } catch (err) {
        if (!isNotFound(err)) throw err; // never registered: fine
      }
    }
  }
  if (plan.endpoint) {
    await caller.send(sm, new DeleteEndpointCommand({ EndpointName: plan.endpoint }));
  }
  for (const EndpointConfigName of plan.configs) {
    await caller.send(sm, new DeleteEndpointConfigCommand({ EndpointConfigName }));
  }
  for (const ModelName of plan.models) await caller.send(sm, new DeleteModelCommand({ ModelName }));
}
