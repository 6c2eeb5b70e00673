/**
 * Application Auto Scaling for endpoint variants: register a target and a target-tracking
 * policy on invocations per instance; find what is registered; remove it (policies first), as
 * AWS requires before an UpdateEndpoint that changes a scaled variant.
 * @module
 */

import {
  DeleteScalingPolicyCommand,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from "@aws-sdk/client-application-auto-scaling";
import { type AwsCaller, type AwsClients, isNotFound } from "./aws.ts";
import type { AutoscalingSpec } from "./spec.ts";

export const SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount" as const;
const NAMESPACE = "sagemaker" as const;

/** Application Auto Scaling's id of an endpoint variant. */
export const variantResourceId = (endpoint: string, variant: string) =>
  `endpoint/${endpoint}/variant/${variant}`;

/** The name of the target-tracking policy deploy puts on a variant. */
export const policyName = (endpoint: string, variant: string) =>
  `${endpoint}-${variant}-invocations`;

/** A registered target with its policies (what {@link registeredScaling} finds). */
export interface RegisteredScaling {
  resourceId: string;
  min: number;
  max: number;
  policies: { name: string; targetValue?: number }[];
}

const target = (ResourceId: string) => ({
  ServiceNamespace: NAMESPACE,
  ResourceId,
  ScalableDimension: SCALABLE_DIMENSION,
});

/** Registers the variant as a scalable target and puts the target-tracking policy on it. */
export async function registerScaling(
  clients: AwsClients,
  caller: AwsCaller,
  endpoint: string,
  variant: string,
  policy: AutoscalingSpec,
): Promise<void> {
  const ResourceId = variantResourceId(endpoint, variant);
  await caller.send(
    clients.autoscaling,
    new RegisterScalableTargetCommand({
      ...target(ResourceId),
      MinCapacity: policy.min,
      MaxCapacity: policy.max,
    }),
  );
  await caller.send(
    clients.autoscaling,
    new PutScalingPolicyCommand({
      ...target(ResourceId),
      PolicyName: policyName(endpoint, variant),
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

/** The registered targets (and their policies) among the endpoint's variants. */
export async function registeredScaling(
  clients: AwsClients,
  caller: AwsCaller,
  endpoint: string,
  variants: string[],
): Promise<RegisteredScaling[]> {
  if (variants.length === 0) return [];
  let targets;
  try {
    targets = await caller.send(
      clients.autoscaling,
      new DescribeScalableTargetsCommand({
        ServiceNamespace: NAMESPACE,
        ScalableDimension: SCALABLE_DIMENSION,
        ResourceIds: variants.map((v) => variantResourceId(endpoint, v)),
      }),
    );
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
  const found: RegisteredScaling[] = [];
  for (const t of targets?.ScalableTargets ?? []) {
    const policies = await caller.send(
      clients.autoscaling,
      new DescribeScalingPoliciesCommand({
        ...target(t.ResourceId),
      }),
    ).catch((err) => {
      if (isNotFound(err)) return { ScalingPolicies: [] };
      throw err;
    });
    found.push({
      resourceId: t.ResourceId,
      min: t.MinCapacity,
      max: t.MaxCapacity,
      policies: (policies?.ScalingPolicies ?? []).map((
        p: {
          PolicyName: string;
          TargetTrackingScalingPolicyConfiguration?: { TargetValue?: number };
        },
      ) => ({
        name: p.PolicyName,
        targetValue: p.TargetTrackingScalingPolicyConfiguration?.TargetValue,
      })),
    });
  }
  return found;
}

/** Deletes each target's policies, then deregisters it; what is already gone is fine. */
export async function deregisterScaling(
  clients: AwsClients,
  caller: AwsCaller,
  registered: RegisteredScaling[],
): Promise<void> {
  const tolerateMissing = (err: unknown) => {
    if (!isNotFound(err)) throw err;
  };
  for (const r of registered) {
    for (const p of r.policies) {
      await caller.send(
        clients.autoscaling,
        new DeleteScalingPolicyCommand({ ...target(r.resourceId), PolicyName: p.name }),
      ).catch(tolerateMissing);
    }
    await caller.send(
      clients.autoscaling,
      new DeregisterScalableTargetCommand(target(r.resourceId)),
    )
      .catch(tolerateMissing);
  }
}
