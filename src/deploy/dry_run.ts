/**
 * Offline dry runs: AWS is not asked, so each path is shown against an example of the account
 * it could meet (nothing deployed yet; an endpoint live on another config with autoscaling on).
 * The printed calls are those the code makes on that path, inputs and all.
 * @module
 */

import type { Simulator } from "./aws.ts";
import { policyName, variantResourceId } from "./autoscaling.ts";
import { hashedName, ownershipTags } from "./naming.ts";
import type { DeploySpec } from "./spec.ts";

/** An example account id and region for the ARNs a simulated answer carries. */
const ARN = "arn:aws:sagemaker:us-east-1:123456789012";

export interface DryRunWorld {
  title: string;
  simulate: Simulator;
}

/** The two paths of a deploy: create, and update of a live (autoscaled) endpoint. */
export function deployWorlds(spec: DeploySpec): DryRunWorld[] {
  const variants = spec.variants.map((v) => v.name);
  const scaled = !spec.serverless;
  const live: Record<string, unknown> = {
    DescribeEndpoint: {
      EndpointName: spec.endpoint,
      EndpointArn: `${ARN}:endpoint/${spec.endpoint}`,
      EndpointConfigName: hashedName(spec.endpoint, "previous"),
      EndpointStatus: "InService",
      ProductionVariants: variants.map((VariantName) => ({ VariantName })),
    },
    DescribeScalableTargets: {
      ScalableTargets: scaled
        ? variants.map((v) => ({
          ResourceId: variantResourceId(spec.endpoint, v),
          MinCapacity: 1,
          MaxCapacity: 2,
        }))
        : [],
    },
    DescribeScalingPolicies: (input: { ResourceId: string }) => ({
      ScalingPolicies: [{
        PolicyName: policyName(spec.endpoint, input.ResourceId.split("/")[3]),
      }],
    }),
  };
  return [
    { title: "if the endpoint does not exist yet", simulate: () => undefined },
    {
      title: "if the endpoint exists on another config, with autoscaling on its variants",
      simulate: (_service, operation, input) => {
        const answer = live[operation];
        return typeof answer === "function" ? answer(input) : answer;
      },
    },
  ];
}

/** An account with the endpoint, an older config and model of its own, and a sibling's. */
export function teardownWorld(endpoint: string): DryRunWorld {
  const sibling = hashedName(endpoint, "v2", 63);
  const name = (owner: string, kind: string) =>
    hashedName(kind ? `${owner}-${kind}` : owner, "example1");
  const old = (owner: string, kind: string) =>
    hashedName(kind ? `${owner}-${kind}` : owner, "example0");
  const tags: Record<string, { Key: string; Value: string }[]> = {};
  const resource = (kind: string, resourceName: string, owner: string) => {
    const arn = `${ARN}:${kind}/${resourceName.toLowerCase()}`;
    tags[arn] = ownershipTags(owner);
    return arn;
  };
  const configs = [endpoint, sibling].flatMap((owner) =>
    [name(owner, ""), old(owner, "")].map((n) => ({
      EndpointConfigName: n,
      EndpointConfigArn: resource("endpoint-config", n, owner),
    }))
  );
  const models = [endpoint, sibling].flatMap((owner) =>
    [name(owner, "primary"), old(owner, "primary")].map((n) => ({
      ModelName: n,
      ModelArn: resource("model", n, owner),
    }))
  );
  const endpoints = [endpoint, sibling].map((e) => ({
    EndpointName: e,
    EndpointArn: resource("endpoint", e, e),
    EndpointConfigName: name(e, ""),
    EndpointStatus: "InService",
  }));
  return {
    title: `an example account: ${endpoint} with an older config and model, and a sibling ` +
      `endpoint ${sibling} (--plan reads the real account)`,
    simulate: (_service, operation, input) => {
      switch (operation) {
        case "DescribeEndpoint":
          return endpoints.find((e) => e.EndpointName === input.EndpointName);
        case "DescribeEndpointConfig": {
          const owner = endpoints.find((e) => e.EndpointConfigName === input.EndpointConfigName);
          return owner && {
            EndpointConfigName: input.EndpointConfigName,
            ProductionVariants: [{
              VariantName: "primary",
              ModelName: name(owner.EndpointName, "primary"),
              InstanceType: "ml.t2.medium",
            }],
          };
        }
        case "ListTags":
          return { Tags: tags[input.ResourceArn] ?? [] };
        case "ListEndpointConfigs":
          return { EndpointConfigs: configs };
        case "ListModels":
          return { Models: models };
        case "ListEndpoints":
          return { Endpoints: endpoints };
        case "DescribeScalableTargets":
          return {
            ScalableTargets: [{
              ResourceId: variantResourceId(endpoint, "primary"),
              MinCapacity: 1,
              MaxCapacity: 2,
            }],
          };
        case "DescribeScalingPolicies":
          return { ScalingPolicies: [{ PolicyName: policyName(endpoint, "primary") }] };
      }
      return undefined;
    },
  };
}
