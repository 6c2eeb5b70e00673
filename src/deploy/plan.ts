/**
 * `deploy --plan`: read what is live with Describe calls only, and print how the spec differs
 * from it, setting by setting, as a diff.
 * @module
 */

import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
} from "@aws-sdk/client-sagemaker";
import { assertNoProblems, type AwsCaller, type AwsClients } from "./aws.ts";
import { registeredScaling } from "./autoscaling.ts";
import { captureSummary } from "./capture.ts";
import { describeOrUndefined } from "./endpoint.ts";
import { desiredResources } from "./resources.ts";
import { type DeploySpec, validateSpec } from "./spec.ts";

/** Settings as flat "key: value" pairs, the unit of the diff. */
export type State = Record<string, string>;

interface VariantLike {
  VariantName?: string;
  ModelName?: string;
  InitialVariantWeight?: number;
  InstanceType?: string;
  InitialInstanceCount?: number;
  ServerlessConfig?: { MemorySizeInMB?: number; MaxConcurrency?: number };
}
interface ModelLike {
  ExecutionRoleArn?: string;
  PrimaryContainer?: { Image?: string; ModelDataUrl?: string; ModelPackageName?: string };
}

function put(state: State, key: string, value: unknown) {
  if (value !== undefined && value !== null) state[key] = String(value);
}

function putVariant(state: State, v: VariantLike, model: ModelLike | undefined) {
  const k = `variant ${v.VariantName}`;
  put(state, `${k} model`, v.ModelName);
  put(state, `${k} image`, model?.PrimaryContainer?.Image);
  put(state, `${k} model data`, model?.PrimaryContainer?.ModelDataUrl);
  put(state, `${k} model package`, model?.PrimaryContainer?.ModelPackageName);
  put(state, `${k} role`, model?.ExecutionRoleArn);
  put(state, `${k} weight`, v.InitialVariantWeight);
  put(state, `${k} instance type`, v.InstanceType);
  put(state, `${k} instance count`, v.InitialInstanceCount);
  put(state, `${k} serverless memory MB`, v.ServerlessConfig?.MemorySizeInMB);
  put(state, `${k} serverless max concurrency`, v.ServerlessConfig?.MaxConcurrency);
}

/** What the spec asks for. */
export function desiredState(spec: DeploySpec): State {
  const { models, config } = desiredResources(spec);
  const state: State = {};
  put(state, "endpoint config", config.EndpointConfigName);
  put(state, "data capture", captureSummary(config.DataCaptureConfig));
  for (const [i, v] of (config.ProductionVariants ?? []).entries()) putVariant(state, v, models[i]);
  for (const v of spec.autoscaling ? spec.variants : []) {
    put(state, `autoscaling ${v.name} min`, spec.autoscaling!.min);
    put(state, `autoscaling ${v.name} max`, spec.autoscaling!.max);
    put(state, `autoscaling ${v.name} target`, spec.autoscaling!.invocationsPerInstance);
  }
  return state;
}

/** What is live, read with Describe calls only; undefined when there is no endpoint. */
export async function liveState(
  clients: AwsClients,
  caller: AwsCaller,
  endpoint: string,
  variantNames: string[],
): Promise<State | undefined> {
  const sm = clients.sagemaker;
  const d = await describeOrUndefined(() =>
    caller.send(sm, new DescribeEndpointCommand({ EndpointName: endpoint }))
  );
  if (!d) return undefined;
  const state: State = {};
  put(state, "endpoint config", d.EndpointConfigName);
  const config = await describeOrUndefined(() =>
    caller.send(sm, new DescribeEndpointConfigCommand({ EndpointConfigName: d.EndpointConfigName }))
  );
  put(state, "data capture", captureSummary(config?.DataCaptureConfig));
  const variants: VariantLike[] = config?.ProductionVariants ?? [];
  for (const v of variants) {
    const model = await describeOrUndefined<ModelLike>(() =>
      caller.send(sm, new DescribeModelCommand({ ModelName: v.ModelName }))
    );
    putVariant(state, v, model);
  }
  const names = [...new Set([...variants.map((v) => v.VariantName!), ...variantNames])];
  for (const r of await registeredScaling(clients, caller, endpoint, names)) {
    const variant = r.resourceId.split("/")[3];
    put(state, `autoscaling ${variant} min`, r.min);
    put(state, `autoscaling ${variant} max`, r.max);
    put(state, `autoscaling ${variant} target`, r.policies[0]?.targetValue);
  }
  return state;
}

/** "~ key: old -> new", "+ key: new", "- key: old", in the desired state's order. */
export function diffStates(live: State, desired: State): string[] {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(desired)) {
    if (!(key in live)) lines.push(`+ ${key}: ${value}`);
    else if (live[key] !== value) lines.push(`~ ${key}: ${live[key]} -> ${value}`);
  }
  for (const [key, value] of Object.entries(live)) {
    if (!(key in desired)) lines.push(`- ${key}: ${value}`);
  }
  return lines;
}

export interface DeployPlan {
  /** create, update (roll to a new config), scaling (only autoscaling changes) or none. */
  action: "create" | "update" | "scaling" | "none";
  diff: string[];
}

/** Reads the live endpoint (Describe calls only) and diffs it with the spec. */
export async function planDeploy(
  clients: AwsClients,
  caller: AwsCaller,
  spec: DeploySpec,
): Promise<DeployPlan> {
  assertNoProblems(validateSpec(spec));
  const desired = desiredState(spec);
  const live = await liveState(clients, caller, spec.endpoint, spec.variants.map((v) => v.name));
  const diff = diffStates(live ?? {}, desired);
  const action = !live
    ? "create"
    : live["endpoint config"] !== desired["endpoint config"]
    ? "update"
    : diff.length > 0
    ? "scaling"
    : "none";
  return { action, diff };
}
