/**
 * Deploying: the model(s), the endpoint config, then the endpoint created or rolled to the new
 * config, awaited until InService, with autoscaling taken off before an update and put back
 * after it (AWS refuses UpdateEndpoint on a variant that is a registered scalable target).
 * Options are checked against AWS's rules before any call.
 * @module
 */

import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
} from "@aws-sdk/client-sagemaker";
import { assertNoProblems, type AwsCaller, type AwsClients, isNotFound } from "./aws.ts";
import {
  deregisterScaling,
  type RegisteredScaling,
  registeredScaling,
  registerScaling,
} from "./autoscaling.ts";
import { ownershipTags } from "./naming.ts";
import { desiredResources } from "./resources.ts";
import { type DeploySpec, validateSpec } from "./spec.ts";
import { checkName, checkWeights } from "./validation.ts";
import { waitInService, type WaitOptions } from "./waiting.ts";

export interface DeployResult {
  endpoint: string;
  config: string;
  models: string[];
  /** created, updated (rolled to the new config) or unchanged. */
  action: "created" | "updated" | "unchanged";
  /** What happened to autoscaling: registered, re-registered, removed or none. */
  scaling: "registered" | "re-registered" | "removed" | "unchanged" | "none";
}

/** Describe that turns "not found" into undefined. */
export async function describeOrUndefined<T>(describe: () => Promise<T>): Promise<T | undefined> {
  try {
    return await describe();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** What serves a model: its model package (registry) or else its image. */
const servedBy = (c?: { Image?: string; ModelPackageName?: string }) =>
  c?.ModelPackageName ? `model package ${c.ModelPackageName}` : `image ${c?.Image}`;

const BUSY = ["Creating", "Updating", "SystemUpdating", "RollingBack"];

/** Creates or updates everything; resolves when the endpoint is InService. */
export async function deploy(
  clients: AwsClients,
  caller: AwsCaller,
  spec: DeploySpec,
  wait: WaitOptions = {},
): Promise<DeployResult> {
  assertNoProblems(validateSpec(spec));
  const desired = desiredResources(spec);
  const models = desired.models.map((m) => m.ModelName!);
  const config = desired.config.EndpointConfigName!;
  const sm = clients.sagemaker;

  for (const input of desired.models) {
    const found = await describeOrUndefined(() =>
      caller.send(sm, new DescribeModelCommand({ ModelName: input.ModelName }))
    );
    if (!found) {
      await caller.send(sm, new CreateModelCommand(input));
    } else if (servedBy(found.PrimaryContainer) !== servedBy(input.PrimaryContainer)) {
      // The name hashes the image: a different one means a hand-made model under our name.
      throw new Error(
        `model ${input.ModelName} exists with ${servedBy(found.PrimaryContainer)}, not ` +
          `${
            servedBy(input.PrimaryContainer)
          }: delete it (deno task teardown) or pick another --endpoint`,
      );
    } else caller.log(`model ${input.ModelName} exists`);
  }
  const configFound = await describeOrUndefined(() =>
    caller.send(sm, new DescribeEndpointConfigCommand({ EndpointConfigName: config }))
  );
  if (!configFound) await caller.send(sm, new CreateEndpointConfigCommand(desired.config));
  else caller.log(`endpoint config ${config} exists`);

  let current = await describeOrUndefined(() =>
    caller.send(sm, new DescribeEndpointCommand({ EndpointName: spec.endpoint }))
  );
  if (current && BUSY.includes(current.EndpointStatus)) {
    caller.log(
      `endpoint ${spec.endpoint} is ${current.EndpointStatus}: waiting before changing it`,
    );
    await waitInService(clients, caller, spec.endpoint, wait);
    current = await caller.send(sm, new DescribeEndpointCommand({ EndpointName: spec.endpoint }));
  }
  if (current?.EndpointStatus === "Failed") {
    throw new Error(
      `endpoint ${spec.endpoint} is Failed (${current.FailureReason ?? "no reason given"}); ` +
        "a failed endpoint cannot be updated: deno task teardown, then deploy again",
    );
  }
  const variantNames = spec.variants.map((v) => v.name);
  let action: DeployResult["action"];
  let scaling: DeployResult["scaling"] = "none";
  if (!current) {
    await caller.send(
      sm,
      new CreateEndpointCommand({
        EndpointName: spec.endpoint,
        EndpointConfigName: config,
        Tags: ownershipTags(spec.endpoint),
      }),
    );
    action = "created";
    await waitInService(clients, caller, spec.endpoint, wait);
  } else if (current.EndpointConfigName === config) {
    action = "unchanged";
    caller.log(`endpoint ${spec.endpoint} already uses ${config}`);
  } else {
    // Scaling is registered on the variants now live, which may be named otherwise.
    const liveVariants = (current.ProductionVariants ?? []).map((v: { VariantName: string }) =>
      v.VariantName
    );
    const registered = await registeredScaling(clients, caller, spec.endpoint, [
      ...new Set([...liveVariants, ...variantNames]),
    ]);
    if (registered.length > 0) {
      caller.log(`removing autoscaling from ${spec.endpoint} for the update (AWS requires it)`);
      await deregisterScaling(clients, caller, registered);
      scaling = "removed";
    }
    await caller.send(
      sm,
      new UpdateEndpointCommand({ EndpointName: spec.endpoint, EndpointConfigName: config }),
    );
    action = "updated";
    await waitInService(clients, caller, spec.endpoint, wait);
    if (spec.autoscaling) {
      for (const v of variantNames) {
        await registerScaling(clients, caller, spec.endpoint, v, spec.autoscaling);
      }
      scaling = registered.length > 0 ? "re-registered" : "registered";
    }
    return { endpoint: spec.endpoint, config, models, action, scaling };
  }
  scaling = await reconcileScaling(clients, caller, spec, action === "unchanged");
  return { endpoint: spec.endpoint, config, models, action, scaling };
}

/** Brings the scaling of an endpoint not being updated to what the spec says. */
async function reconcileScaling(
  clients: AwsClients,
  caller: AwsCaller,
  spec: DeploySpec,
  existing: boolean,
): Promise<DeployResult["scaling"]> {
  const names = spec.variants.map((v) => v.name);
  const registered: RegisteredScaling[] = existing && !spec.serverless
    ? await registeredScaling(clients, caller, spec.endpoint, names)
    : [];
  const a = spec.autoscaling;
  if (!a) {
    if (registered.length === 0) return "none";
    await deregisterScaling(clients, caller, registered);
    return "removed";
  }
  const matches = registered.length === names.length &&
    registered.every((r) =>
      r.min === a.min && r.max === a.max &&
      r.policies.some((p) => p.targetValue === a.invocationsPerInstance)
    );
  if (matches) return "unchanged";
  for (const v of names) await registerScaling(clients, caller, spec.endpoint, v, a);
  return "registered";
}

/** Sets the traffic weights of an endpoint's variants (A/B shifts); checks them first. */
export async function shiftTraffic(
  clients: AwsClients,
  caller: AwsCaller,
  endpoint: string,
  weights: Record<string, number>,
  wait: WaitOptions = {},
): Promise<void> {
  assertNoProblems([...checkName("--endpoint", endpoint), ...checkWeights(weights)]);
  await caller.send(
    clients.sagemaker,
    new UpdateEndpointWeightsAndCapacitiesCommand({
      EndpointName: endpoint,
      DesiredWeightsAndCapacities: Object.entries(weights).map((
        [VariantName, DesiredWeight],
      ) => ({ VariantName, DesiredWeight })),
    }),
  );
  await waitInService(clients, caller, endpoint, wait);
}
