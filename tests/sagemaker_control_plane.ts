/**
 * A loopback stand-in for the parts of the SageMaker and Application Auto Scaling APIs that
 * `deno task teardown` calls, so the CLI can run against it with fake credentials
 * (AWS_ENDPOINT_URL_SAGEMAKER and AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING point the SDK at
 * it). Both speak AWS JSON 1.1: POST / with `X-Amz-Target: Service.Operation`; a missing
 * resource is a 400 ValidationException "Could not find ...", as SageMaker answers.
 * It keeps the resources in memory and records every call.
 */

/** An endpoint config of the stand-in: its variants' models, and whether it is serverless. */
export interface StandInConfig {
  models: { variant: string; model: string }[];
  serverless?: boolean;
}

/** What the stand-in holds. */
export interface StandInState {
  endpoints: Map<string, string>; // endpoint -> endpoint config
  configs: Map<string, StandInConfig>;
  models: Set<string>;
  scalingTargets: Set<string>;
}

export interface ControlPlane {
  url: string;
  state: StandInState;
  /** Calls received: operation ("SageMaker.DeleteEndpoint") and input. */
  calls: { operation: string; input: Record<string, string> }[];
  close(): Promise<void>;
}

const ARN = "arn:aws:sagemaker:us-east-1:123456789012";

export function startControlPlane(state: StandInState): ControlPlane {
  const calls: ControlPlane["calls"] = [];
  const ok = (body: unknown = {}) =>
    new Response(JSON.stringify(body), {
      headers: { "content-type": "application/x-amz-json-1.1" },
    });
  const notFound = (what: string) =>
    new Response(
      JSON.stringify({ __type: "ValidationException", Message: `Could not find ${what}.` }),
      {
        status: 400,
        headers: { "content-type": "application/x-amz-json-1.1" },
      },
    );
  const remove = <T>(set: { delete(key: T): boolean }, key: T, what: string) =>
    set.delete(key) ? ok() : notFound(what);

  const operations: Record<string, (input: Record<string, string>) => Response> = {
    "SageMaker.DescribeEndpoint": ({ EndpointName }) => {
      const config = state.endpoints.get(EndpointName);
      if (!config) return notFound(`endpoint "${ARN}:endpoint/${EndpointName}"`);
      return ok({
        EndpointName,
        EndpointArn: `${ARN}:endpoint/${EndpointName}`,
        EndpointConfigName: config,
        EndpointStatus: "InService",
        CreationTime: 1764547200,
        LastModifiedTime: 1764547200,
      });
    },
    "SageMaker.DescribeEndpointConfig": ({ EndpointConfigName }) => {
      const config = state.configs.get(EndpointConfigName);
      if (!config) return notFound(`endpoint configuration "${EndpointConfigName}"`);
      return ok({
        EndpointConfigName,
        EndpointConfigArn: `${ARN}:endpoint-config/${EndpointConfigName}`,
        ProductionVariants: config.models.map(({ variant, model }) => ({
          VariantName: variant,
          ModelName: model,
          ...(config.serverless
            ? { ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 } }
            : { InstanceType: "ml.t2.medium", InitialInstanceCount: 1 }),
        })),
        CreationTime: 1764547200,
      });
    },
    "SageMaker.ListEndpointConfigs": ({ NameContains }) =>
      ok({
        EndpointConfigs: [...state.configs.keys()].filter((n) => n.includes(NameContains)).map(
          (n) => ({
            EndpointConfigName: n,
            EndpointConfigArn: `${ARN}:endpoint-config/${n}`,
            CreationTime: 1764547200,
          }),
        ),
      }),
    "SageMaker.ListModels": ({ NameContains }) =>
      ok({
        Models: [...state.models].filter((n) => n.includes(NameContains)).map((n) => ({
          ModelName: n,
          ModelArn: `${ARN}:model/${n}`,
          CreationTime: 1764547200,
        })),
      }),
    "SageMaker.DeleteEndpoint": ({ EndpointName }) =>
      remove(state.endpoints, EndpointName, `endpoint "${EndpointName}"`),
    "SageMaker.DeleteEndpointConfig": ({ EndpointConfigName }) =>
      remove(state.configs, EndpointConfigName, `endpoint configuration "${EndpointConfigName}"`),
    "SageMaker.DeleteModel": ({ ModelName }) =>
      remove(state.models, ModelName, `model "${ModelName}"`),
    "AnyScaleFrontendService.DeleteScalingPolicy": ({ ResourceId }) =>
      state.scalingTargets.has(ResourceId) ? ok() : new Response(
        JSON.stringify({ __type: "ObjectNotFoundException", Message: "No scaling policy found" }),
        { status: 400 },
      ),
    "AnyScaleFrontendService.DeregisterScalableTarget": ({ ResourceId }) =>
      state.scalingTargets.delete(ResourceId) ? ok() : new Response(
        JSON.stringify({ __type: "ObjectNotFoundException", Message: "No scalable target found" }),
        { status: 400 },
      ),
  };

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const target = req.headers.get("x-amz-target") ?? "";
    const input = await req.json().catch(() => ({}));
    const operation = operations[target];
    calls.push({ operation: target, input });
    if (!operation) {
      return new Response(JSON.stringify({ __type: "UnknownOperationException" }), { status: 400 });
    }
    return operation(input);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    state,
    calls,
    close: () => server.shutdown(),
  };
}
