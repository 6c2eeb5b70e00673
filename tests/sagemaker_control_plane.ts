/**
 * A loopback stand-in for the parts of the SageMaker and Application Auto Scaling APIs that
 * `deno task teardown` calls, so the CLI can run against it with fake credentials
 * (AWS_ENDPOINT_URL_SAGEMAKER, AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING and
 * AWS_ENDPOINT_URL_CLOUDWATCH point the SDK at it). All speak AWS JSON (1.1, CloudWatch 1.0):
 * POST / with `X-Amz-Target: Service.Operation`.
 *
 * It answers as the services do: every input is checked against botocore's service model first
 * (a broken rule is a 400 ValidationException, and is recorded in `violations`); ARNs carry the
 * resource name in lower case, as SageMaker writes them; tags belong to a resource and go with
 * it; List calls sort by CreationTime, newest first, unless asked otherwise, and page with an
 * opaque NextToken (a page may be shorter than MaxResults, which AWS allows: `maxPageSize` makes
 * every ListEndpoints/ListEndpointConfigs/ListModels page short so that callers must follow
 * NextToken; a resource's at most 50 tags fit one ListTags page); a missing SageMaker resource is a
 * 400 ValidationException "Could not find ...", a missing scaling target or policy an
 * ObjectNotFoundException. The resources live in memory, in creation order (the order of the
 * maps the state is made of); every call is recorded.
 */

import { validateInput } from "./aws_models.ts";

export interface Tag {
  Key: string;
  Value: string;
}

/** An endpoint config of the stand-in: its variants' models, and whether it is serverless. */
export interface StandInConfig {
  models: { variant: string; model: string }[];
  serverless?: boolean;
  tags?: Tag[];
}

/** What the stand-in holds; each map's order is the resources' creation order, oldest first. */
export interface StandInState {
  endpoints: Map<string, { config: string; tags?: Tag[] }>;
  configs: Map<string, StandInConfig>;
  models: Map<string, { tags?: Tag[] }>;
  /** Registered scalable targets (Application Auto Scaling resource ids) and their policies. */
  scalingTargets: Map<string, { min: number; max: number; policies: string[] }>;
  /** CloudWatch metric alarms by name, with their dimensions (deploy --alarms). */
  alarms?: Map<string, { dimensions: { Name: string; Value: string }[] }>;
}

export interface ControlPlane {
  url: string;
  state: StandInState;
  /** Calls received: operation ("SageMaker.DeleteEndpoint") and input. */
  // deno-lint-ignore no-explicit-any
  calls: { operation: string; input: Record<string, any> }[];
  /** Inputs that broke the service model (each also answered with a ValidationException). */
  violations: string[];
  close(): Promise<void>;
}

const REGION = "us-east-1";
const ACCOUNT = "123456789012";
const SAGEMAKER_ARN = `arn:aws:sagemaker:${REGION}:${ACCOUNT}`;
/** 2025-12-01T00:00:00Z; resource i of the state was created i minutes later. */
const EPOCH = 1764547200;
const SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount";

/** SageMaker's ARN of a resource: the name in lower case. */
export const sagemakerArn = (kind: "endpoint" | "endpoint-config" | "model", name: string) =>
  `${SAGEMAKER_ARN}:${kind}/${name.toLowerCase()}`;

const SERVICES = {
  SageMaker: "sagemaker",
  AnyScaleFrontendService: "application-autoscaling",
  GraniteServiceVersion20100801: "cloudwatch", // AWS JSON 1.0, same shape of call
} as const;

class AwsError extends Error {
  constructor(readonly type: string, message: string) {
    super(message);
  }
}

const notFound = (what: string) => new AwsError("ValidationException", `Could not find ${what}.`);

interface ListInput {
  SortBy?: string;
  SortOrder?: string;
  NextToken?: string;
  MaxResults?: number;
  NameContains?: string;
}

export function startControlPlane(
  state: StandInState,
  options: { maxPageSize?: number } = {},
): ControlPlane {
  const calls: ControlPlane["calls"] = [];
  const violations: string[] = [];
  const maxPageSize = options.maxPageSize ?? 100;

  // Creation times: the order of the state's maps, one minute apart.
  const created = new Map<string, number>();
  const createdAt = (kind: string, name: string) => {
    const key = `${kind}/${name}`;
    if (!created.has(key)) created.set(key, EPOCH + 60 * created.size);
    return created.get(key)!;
  };
  for (const [kind, map] of Object.entries({ ...state })) {
    for (const name of map.keys()) createdAt(kind, name);
  }

  /** The page of `items` that NextToken (from the same operation) and MaxResults ask for. */
  const pageOf = <T>(
    operation: string,
    input: ListInput,
    items: T[],
    size: { default: number; max: number },
  ) => {
    let start = 0;
    if (input.NextToken !== undefined) {
      const token = decodeToken(input.NextToken);
      if (token?.operation !== operation) {
        throw new AwsError("ValidationException", "Invalid pagination token.");
      }
      start = token.offset;
    }
    const end = start + Math.min(input.MaxResults ?? size.default, size.max);
    return {
      items: items.slice(start, end),
      ...(end < items.length ? { NextToken: encodeToken({ operation, offset: end }) } : {}),
    };
  };

  /**
   * A List operation over one kind of resource: filtered by NameContains, sorted (newest first
   * by default), one page of summaries under `key`, and NextToken when there is more.
   */
  const listOperation = <T>(
    operation: string,
    key: string,
    kind: Exclude<keyof StandInState, "alarms">,
    summary: (name: string) => T,
  ) =>
  (input: ListInput) => {
    const sorted = [...state[kind].keys()].filter((n) => n.includes(input.NameContains ?? ""))
      .sort((a, b) =>
        input.SortBy === "Name" ? a.localeCompare(b) : createdAt(kind, a) - createdAt(kind, b)
      );
    if ((input.SortOrder ?? "Descending") === "Descending") sorted.reverse();
    const { items, NextToken } = pageOf(operation, input, sorted.map(summary), {
      default: 10,
      max: maxPageSize,
    });
    return { [key]: items, ...(NextToken ? { NextToken } : {}) };
  };

  const resourceByArn = (arn: string) => {
    for (
      const [kind, map] of [["endpoint", state.endpoints], ["endpoint-config", state.configs], [
        "model",
        state.models,
      ]] as const
    ) {
      for (const [name, resource] of map) {
        if (sagemakerArn(kind, name) === arn) return resource;
      }
    }
    return undefined;
  };

  const endpointOf = (EndpointName: string) => {
    const endpoint = state.endpoints.get(EndpointName);
    if (!endpoint) throw notFound(`endpoint "${sagemakerArn("endpoint", EndpointName)}"`);
    return endpoint;
  };
  const configOf = (EndpointConfigName: string) => {
    const config = state.configs.get(EndpointConfigName);
    if (!config) {
      throw notFound(
        `endpoint configuration "${sagemakerArn("endpoint-config", EndpointConfigName)}"`,
      );
    }
    return config;
  };
  const endpointTimes = (name: string) => ({
    CreationTime: createdAt("endpoints", name),
    LastModifiedTime: createdAt("endpoints", name),
  });

  const policyArn = (ResourceId: string, name: string) =>
    `arn:aws:autoscaling:${REGION}:${ACCOUNT}:scalingPolicy:` +
    `00000000-0000-4000-8000-${String(createdAt("scalingTargets", ResourceId)).padStart(12, "0")}` +
    `:resource/sagemaker/${ResourceId}:policyName/${name}`;

  // deno-lint-ignore no-explicit-any
  const operations: Record<string, (input: any) => unknown> = {
    "SageMaker.DescribeEndpoint": ({ EndpointName }) => {
      const endpoint = endpointOf(EndpointName);
      const config = state.configs.get(endpoint.config);
      return {
        EndpointName,
        EndpointArn: sagemakerArn("endpoint", EndpointName),
        EndpointConfigName: endpoint.config,
        ...(config
          ? {
            ProductionVariants: config.models.map(({ variant }) => ({
              VariantName: variant,
              CurrentWeight: 1,
              DesiredWeight: 1,
              ...(config.serverless ? {} : { CurrentInstanceCount: 1, DesiredInstanceCount: 1 }),
            })),
          }
          : {}),
        EndpointStatus: "InService",
        ...endpointTimes(EndpointName),
      };
    },
    "SageMaker.DescribeEndpointConfig": ({ EndpointConfigName }) => {
      const config = configOf(EndpointConfigName);
      return {
        EndpointConfigName,
        EndpointConfigArn: sagemakerArn("endpoint-config", EndpointConfigName),
        ProductionVariants: config.models.map(({ variant, model }) => ({
          VariantName: variant,
          ModelName: model,
          InitialVariantWeight: 1,
          ...(config.serverless
            ? { ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 } }
            : { InstanceType: "ml.t2.medium", InitialInstanceCount: 1 }),
        })),
        CreationTime: createdAt("configs", EndpointConfigName),
      };
    },
    "SageMaker.ListTags": (input) => {
      const resource = resourceByArn(input.ResourceArn);
      if (!resource) throw notFound(`resource "${input.ResourceArn}"`);
      const { items, NextToken } = pageOf("ListTags", input, resource.tags ?? [], {
        default: 50,
        max: 100,
      });
      return { Tags: items, ...(NextToken ? { NextToken } : {}) };
    },
    "SageMaker.ListEndpoints": listOperation("ListEndpoints", "Endpoints", "endpoints", (name) => ({
      EndpointName: name,
      EndpointArn: sagemakerArn("endpoint", name),
      ...endpointTimes(name),
      EndpointStatus: "InService",
    })),
    "SageMaker.ListEndpointConfigs": listOperation(
      "ListEndpointConfigs",
      "EndpointConfigs",
      "configs",
      (name) => ({
        EndpointConfigName: name,
        EndpointConfigArn: sagemakerArn("endpoint-config", name),
        CreationTime: createdAt("configs", name),
      }),
    ),
    "SageMaker.ListModels": listOperation("ListModels", "Models", "models", (name) => ({
      ModelName: name,
      ModelArn: sagemakerArn("model", name),
      CreationTime: createdAt("models", name),
    })),
    "SageMaker.DeleteEndpoint": ({ EndpointName }) => {
      endpointOf(EndpointName);
      state.endpoints.delete(EndpointName);
      return {};
    },
    // SageMaker lets a config or model be deleted while an endpoint uses it (the endpoint keeps
    // running), so only a missing one is refused.
    "SageMaker.DeleteEndpointConfig": ({ EndpointConfigName }) => {
      configOf(EndpointConfigName);
      state.configs.delete(EndpointConfigName);
      return {};
    },
    "SageMaker.DeleteModel": ({ ModelName }) => {
      if (!state.models.delete(ModelName)) {
        throw notFound(`model "${sagemakerArn("model", ModelName)}"`);
      }
      return {};
    },
    // Application Auto Scaling answers an unknown resource id with no targets, not an error.
    "AnyScaleFrontendService.DescribeScalableTargets": (input) => ({
      ScalableTargets: [...state.scalingTargets].filter(([id]) =>
        input.ServiceNamespace === "sagemaker" &&
        (input.ScalableDimension ?? SCALABLE_DIMENSION) === SCALABLE_DIMENSION &&
        (input.ResourceIds?.includes(id) ?? true)
      ).map(([ResourceId, t]) => ({
        ServiceNamespace: "sagemaker",
        ResourceId,
        ScalableDimension: SCALABLE_DIMENSION,
        MinCapacity: t.min,
        MaxCapacity: t.max,
        RoleARN: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/sagemaker.application-` +
          "autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
        CreationTime: createdAt("scalingTargets", ResourceId),
      })),
    }),
    "AnyScaleFrontendService.DescribeScalingPolicies": (input) => ({
      ScalingPolicies: [...state.scalingTargets].filter(([id]) =>
        input.ServiceNamespace === "sagemaker" &&
        (input.ScalableDimension ?? SCALABLE_DIMENSION) === SCALABLE_DIMENSION &&
        (input.ResourceId ?? id) === id
      ).flatMap(([ResourceId, t]) =>
        t.policies.filter((p) => input.PolicyNames?.includes(p) ?? true).map((PolicyName) => ({
          PolicyARN: policyArn(ResourceId, PolicyName),
          PolicyName,
          ServiceNamespace: "sagemaker",
          ResourceId,
          ScalableDimension: SCALABLE_DIMENSION,
          PolicyType: "TargetTrackingScaling",
          TargetTrackingScalingPolicyConfiguration: {
            TargetValue: 100,
            PredefinedMetricSpecification: {
              PredefinedMetricType: "SageMakerVariantInvocationsPerInstance",
            },
            ScaleInCooldown: 300,
            ScaleOutCooldown: 60,
          },
          Alarms: [],
          CreationTime: createdAt("scalingTargets", ResourceId),
        }))
      ),
    }),
    "AnyScaleFrontendService.DeleteScalingPolicy": (input) => {
      const target = state.scalingTargets.get(input.ResourceId);
      const at = target?.policies.indexOf(input.PolicyName) ?? -1;
      if (!target || at < 0 || input.ScalableDimension !== SCALABLE_DIMENSION) {
        throw new AwsError(
          "ObjectNotFoundException",
          `No scaling policy found for service namespace: ${input.ServiceNamespace}, resource ` +
            `ID: ${input.ResourceId}, scalable dimension: ${input.ScalableDimension}, policy ` +
            `name: ${input.PolicyName}`,
        );
      }
      target.policies.splice(at, 1);
      return {};
    },
    // CloudWatch: alarms by name prefix, MaxRecords per page (default 50, at most 100).
    "GraniteServiceVersion20100801.DescribeAlarms": (input) => {
      const names = [...(state.alarms ?? new Map()).keys()]
        .filter((n) => n.startsWith(input.AlarmNamePrefix ?? "")).sort();
      const page = pageOf(
        "DescribeAlarms",
        { MaxResults: input.MaxRecords, NextToken: input.NextToken },
        names,
        { default: 50, max: Math.min(100, maxPageSize) },
      );
      return {
        MetricAlarms: page.items.map((AlarmName) => ({
          AlarmName,
          Dimensions: state.alarms!.get(AlarmName)!.dimensions,
        })),
        ...(page.NextToken ? { NextToken: page.NextToken } : {}),
      };
    },
    "GraniteServiceVersion20100801.DeleteAlarms": (input) => {
      const missing = input.AlarmNames.filter((n: string) => !state.alarms?.has(n));
      if (missing.length > 0) {
        throw new AwsError("ResourceNotFound", `${missing.join(", ")} not found`);
      }
      for (const name of input.AlarmNames) state.alarms!.delete(name);
      return {};
    },
    // Deregistering a target deletes its policies with it, as the service does.
    "AnyScaleFrontendService.DeregisterScalableTarget": (input) => {
      if (
        input.ScalableDimension !== SCALABLE_DIMENSION ||
        !state.scalingTargets.delete(input.ResourceId)
      ) {
        throw new AwsError(
          "ObjectNotFoundException",
          `No scalable target found for service namespace: ${input.ServiceNamespace}, resource ` +
            `ID: ${input.ResourceId}, scalable dimension: ${input.ScalableDimension}`,
        );
      }
      return {};
    },
  };

  const answer = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { "content-type": "application/x-amz-json-1.1" },
    });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const target = req.headers.get("x-amz-target") ?? "";
    const input = await req.json().catch(() => ({}));
    calls.push({ operation: target, input });
    const [prefix, operation] = target.split(".");
    const service = SERVICES[prefix as keyof typeof SERVICES];
    const handle = operations[target];
    if (!service || !handle) {
      return answer(400, {
        __type: "UnknownOperationException",
        message: `${target} is not an operation of this stand-in`,
      });
    }
    const broken = validateInput(service, operation, input).map((v) => v.message);
    if (broken.length > 0) {
      violations.push(...broken.map((m) => `${target} ${m}`));
      return answer(400, {
        __type: "ValidationException",
        message: `${broken.length} validation error(s) detected: ${broken.join("; ")}`,
      });
    }
    try {
      return answer(200, handle(input));
    } catch (err) {
      if (!(err instanceof AwsError)) throw err;
      return answer(400, { __type: err.type, message: err.message });
    }
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    state,
    calls,
    violations,
    close: () => server.shutdown(),
  };
}

/** An opaque pagination token, as AWS gives: which call it continues, and where. */
function encodeToken(token: { operation: string; offset: number }): string {
  return btoa(JSON.stringify(token));
}

function decodeToken(text: string): { operation: string; offset: number } | undefined {
  try {
    const token = JSON.parse(atob(text));
    return typeof token?.offset === "number" ? token : undefined;
  } catch {
    return undefined;
  }
}
