/**
 * Teardown by ownership tags: the endpoint, and every endpoint config and model tagged as this
 * project's and as the endpoint's, found by listing and reading tags (never by name, so a
 * sibling such as titanic-v2 keeps all of its own). A config or model that another endpoint
 * still uses is kept, whatever its tags say.
 * @module
 */

import {
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  ListEndpointConfigsCommand,
  ListEndpointsCommand,
  ListModelsCommand,
  ListTagsCommand,
} from "@aws-sdk/client-sagemaker";
import { assertNoProblems, type AwsCaller, type AwsClients, isNotFound } from "./aws.ts";
import { deregisterScaling, type RegisteredScaling, registeredScaling } from "./autoscaling.ts";
import { describeOrUndefined } from "./endpoint.ts";
import { ownedBy } from "./naming.ts";
import { checkName } from "./validation.ts";

/** What teardown would delete, and what it keeps and why. */
export interface TeardownPlan {
  endpoint?: string;
  configs: string[];
  models: string[];
  scaling: RegisteredScaling[];
  kept: { name: string; reason: string }[];
}

type Page<T> = { items: T[]; next?: string };

/** A List call's paging input (no NextToken key on the first page). */
const page = (NextToken?: string) => ({ MaxResults: 100, ...(NextToken ? { NextToken } : {}) });

/** Every page of a List call. */
async function listAll<T>(page: (token?: string) => Promise<Page<T>>): Promise<T[]> {
  const all: T[] = [];
  let token: string | undefined;
  do {
    const { items, next } = await page(token);
    all.push(...items);
    token = next;
  } while (token);
  return all;
}

/** The configs and models an endpoint uses (its current config and one being deployed). */
async function inUse(
  clients: AwsClients,
  caller: AwsCaller,
  endpoint: string,
): Promise<{ configs: string[]; models: string[]; variants: string[]; arn?: string }> {
  const sm = clients.sagemaker;
  const d = await describeOrUndefined(() =>
    caller.send(sm, new DescribeEndpointCommand({ EndpointName: endpoint }))
  );
  if (!d) return { configs: [], models: [], variants: [] };
  const configs = [d.EndpointConfigName, d.PendingDeploymentSummary?.EndpointConfigName]
    .filter((c): c is string => Boolean(c));
  const models: string[] = [];
  const variants: string[] = [];
  for (const EndpointConfigName of configs) {
    const c = await describeOrUndefined(() =>
      caller.send(sm, new DescribeEndpointConfigCommand({ EndpointConfigName }))
    );
    for (const v of c?.ProductionVariants ?? []) {
      models.push(v.ModelName);
      if (!v.ServerlessConfig) variants.push(v.VariantName);
    }
  }
  return { configs, models, variants, arn: d.EndpointArn };
}

/** Finds what belongs to `endpoint` by its tags; only Describe and List calls. */
export async function planTeardown(
  clients: AwsClients,
  caller: AwsCaller,
  endpoint: string,
): Promise<TeardownPlan> {
  assertNoProblems(checkName("--endpoint", endpoint));
  const sm = clients.sagemaker;
  const plan: TeardownPlan = { configs: [], models: [], scaling: [], kept: [] };
  const tagsOf = async (ResourceArn: string) =>
    (await caller.send(sm, new ListTagsCommand({ ResourceArn, MaxResults: 100 }))).Tags ?? [];

  const own = await inUse(clients, caller, endpoint);
  if (own.arn) {
    if (ownedBy(await tagsOf(own.arn), endpoint)) {
      plan.endpoint = endpoint;
      plan.scaling = await registeredScaling(clients, caller, endpoint, own.variants);
    } else {
      plan.kept.push({ name: endpoint, reason: "the endpoint is not tagged as this project's" });
    }
  }

  const configs = await listAll<{ EndpointConfigName: string; EndpointConfigArn: string }>(
    async (NextToken) => {
      const r = await caller.send(
        sm,
        new ListEndpointConfigsCommand(page(NextToken)),
      );
      return { items: r.EndpointConfigs ?? [], next: r.NextToken };
    },
  );
  for (const c of configs) {
    if (ownedBy(await tagsOf(c.EndpointConfigArn), endpoint)) {
      plan.configs.push(c.EndpointConfigName);
    }
  }
  const models = await listAll<{ ModelName: string; ModelArn: string }>(async (NextToken) => {
    const r = await caller.send(sm, new ListModelsCommand(page(NextToken)));
    return { items: r.Models ?? [], next: r.NextToken };
  });
  for (const m of models) {
    if (ownedBy(await tagsOf(m.ModelArn), endpoint)) plan.models.push(m.ModelName);
  }

  // What any endpoint that stays uses is kept: every other endpoint, and this one if not ours.
  const endpoints = await listAll<{ EndpointName: string }>(async (NextToken) => {
    const r = await caller.send(sm, new ListEndpointsCommand(page(NextToken)));
    return { items: r.Endpoints ?? [], next: r.NextToken };
  });
  const staying = endpoints.map((e) => e.EndpointName)
    .filter((name) => name !== plan.endpoint);
  for (const other of staying) {
    const used = other === endpoint ? own : await inUse(clients, caller, other);
    const keep = (list: string[], names: string[]) =>
      list.filter((name) => {
        if (!names.includes(name)) return true;
        plan.kept.push({ name, reason: `endpoint ${other} uses it` });
        return false;
      });
    plan.configs = keep(plan.configs, used.configs);
    plan.models = keep(plan.models, used.models);
  }
  return plan;
}

/** Deletes what {@link planTeardown} found: scaling, the endpoint, configs, models. */
export async function teardown(
  clients: AwsClients,
  caller: AwsCaller,
  plan: TeardownPlan,
): Promise<void> {
  const sm = clients.sagemaker;
  await deregisterScaling(clients, caller, plan.scaling);
  const tolerateMissing = (err: unknown) => {
    if (!isNotFound(err)) throw err; // deleted meanwhile: fine
  };
  if (plan.endpoint) {
    await caller.send(sm, new DeleteEndpointCommand({ EndpointName: plan.endpoint }))
      .catch(tolerateMissing);
  }
  for (const EndpointConfigName of plan.configs) {
    await caller.send(sm, new DeleteEndpointConfigCommand({ EndpointConfigName }))
      .catch(tolerateMissing);
  }
  for (const ModelName of plan.models) {
    await caller.send(sm, new DeleteModelCommand({ ModelName })).catch(tolerateMissing);
  }
}

/** The plan as lines for the terminal. */
export function describeTeardown(plan: TeardownPlan): string[] {
  const list = (items: string[]) => items.join(", ") || "(none)";
  return [
    `endpoint: ${plan.endpoint ?? "(none)"}`,
    `endpoint configs: ${list(plan.configs)}`,
    `models: ${list(plan.models)}`,
    `autoscaling targets: ${list(plan.scaling.map((s) => s.resourceId))}`,
    ...plan.kept.map((k) => `kept ${k.name}: ${k.reason}`),
  ];
}
