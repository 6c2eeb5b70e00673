/**
 * The resources a spec asks for, as the exact inputs of CreateModel and CreateEndpointConfig.
 * Each name hashes that content (plus the endpoint's name), so any changed setting gives a new
 * name: a redeploy then creates the new resource and rolls the endpoint to it.
 * @module
 */

import type {
  ContainerDefinition,
  CreateEndpointConfigCommandInput,
  CreateModelCommandInput,
  ProductionVariant,
} from "@aws-sdk/client-sagemaker";
import { hashedName, ownershipTags, shortHash } from "./naming.ts";
import type { DeploySpec } from "./spec.ts";

/** The container's payload limit: SageMaker's 6 MB for real-time bodies. */
export const MODEL_ENVIRONMENT = { SAGEMAKER_MAX_PAYLOAD_IN_MB: "6" } as const;
/** The container loads and warms the model in seconds; 120 s leaves room for a slow pull. */
export const HEALTH_CHECK_TIMEOUT_SECONDS = 120;

export interface DesiredResources {
  models: CreateModelCommandInput[];
  config: CreateEndpointConfigCommandInput;
}

/** The CreateModel and CreateEndpointConfig inputs for a (valid) spec. */
export function desiredResources(spec: DeploySpec): DesiredResources {
  const tags = ownershipTags(spec.endpoint);
  const models = spec.variants.map((v): CreateModelCommandInput => {
    const container: ContainerDefinition = {
      ...(v.modelPackage ? { ModelPackageName: v.modelPackage } : {
        Image: v.image,
        ...(v.modelData ? { ModelDataUrl: v.modelData } : {}),
      }),
      // The endpoint and variant name the container's metrics (container/metrics.ts).
      Environment: { ...MODEL_ENVIRONMENT, ENDPOINT_NAME: spec.endpoint, VARIANT_NAME: v.name },
    };
    const hash = shortHash(["model", spec.endpoint, v.name, container, spec.role]);
    return {
      ModelName: hashedName(`${spec.endpoint}-${v.name}`, hash),
      ExecutionRoleArn: spec.role,
      PrimaryContainer: container,
      Tags: tags,
    };
  });
  const variants = spec.variants.map((v, i): ProductionVariant => ({
    VariantName: v.name,
    ModelName: models[i].ModelName,
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
        ContainerStartupHealthCheckTimeoutInSeconds: HEALTH_CHECK_TIMEOUT_SECONDS,
      }),
  }));
  const capture = spec.dataCapture ? { DataCaptureConfig: spec.dataCapture } : {};
  const configName = hashedName(
    spec.endpoint,
    shortHash(["config", spec.endpoint, variants, ...(spec.dataCapture ? [capture] : [])]),
  );
  return {
    models,
    config: {
      EndpointConfigName: configName,
      ProductionVariants: variants,
      ...capture,
      Tags: tags,
    },
  };
}

/** Model names and the endpoint config name for a spec (stable across runs). */
export function resourceNames(spec: DeploySpec): { models: string[]; config: string } {
  const { models, config } = desiredResources(spec);
  return { models: models.map((m) => m.ModelName!), config: config.EndpointConfigName! };
}
