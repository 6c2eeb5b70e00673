/**
 * Calling the model: through SageMaker's InvokeEndpoint, or straight at a local server or
 * container's /invocations, with the same request and result shape so that local and remote
 * checks look the same. A model's 4xx (ModelError) comes back with its original status and body.
 * @module
 */

import {
  InvokeEndpointCommand,
  ModelError,
  type SageMakerRuntimeClient,
} from "@aws-sdk/client-sagemaker-runtime";

export interface InvokeRequest {
  body: Uint8Array;
  contentType: string;
  accept: string;
  customAttributes?: string;
}

export interface InvokeResult {
  status: number;
  contentType: string;
  body: string;
  /** True when the model itself answered non-2xx (SageMaker's ModelError). */
  modelError: boolean;
}

/** The content type a payload file implies. */
export function contentTypeOf(path: string): string {
  if (path.endsWith(".csv")) return "text/csv";
  if (path.endsWith(".jsonl")) return "application/jsonlines";
  return "application/json";
}

/** InvokeEndpoint; a ModelError becomes the model's own status and message. */
export async function invokeEndpoint(
  runtime: SageMakerRuntimeClient,
  endpoint: string,
  request: InvokeRequest,
): Promise<InvokeResult> {
  try {
    const out = await runtime.send(
      new InvokeEndpointCommand({
        EndpointName: endpoint,
        Body: request.body,
        ContentType: request.contentType,
        Accept: request.accept,
        ...(request.customAttributes ? { CustomAttributes: request.customAttributes } : {}),
      }),
    );
    return {
      status: 200,
      contentType: out.ContentType ?? request.accept,
      body: new TextDecoder().decode(out.Body),
      modelError: false,
    };
  } catch (err) {
    if (err instanceof ModelError || (err as Error)?.name === "ModelError") {
      const e = err as ModelError;
      const original = e.OriginalMessage ?? e.message;
      return {
        status: e.OriginalStatusCode ?? 424,
        contentType: /^\s*[{[]/.test(original) ? "application/json" : "text/plain",
        body: original,
        modelError: true,
      };
    }
    throw err;
  }
}

/** What an invoke would send, for --dry-run: target, headers, body size and its start. */
export function describeInvokeRequest(
  target: { endpoint: string } | { url: string },
  request: InvokeRequest,
): string {
  const text = new TextDecoder().decode(request.body.subarray(0, 200));
  const lines = [
    "endpoint" in target
      ? `[dry-run] SageMakerRuntime.InvokeEndpoint EndpointName=${target.endpoint}`
      : `[dry-run] POST ${target.url.replace(/\/$/, "")}/invocations`,
    `  Content-Type: ${request.contentType}`,
    `  Accept: ${request.accept}`,
    ...(request.customAttributes
      ? [`  X-Amzn-SageMaker-Custom-Attributes: ${request.customAttributes}`]
      : []),
    `  body: ${request.body.length} bytes: ${JSON.stringify(text)}${
      request.body.length > 200 ? " ..." : ""
    }`,
  ];
  return lines.join("\n");
}

/** POSTs to `<url>/invocations` (a local server or container). */
export async function invokeUrl(url: string, request: InvokeRequest): Promise<InvokeResult> {
  const response = await fetch(`${url.replace(/\/$/, "")}/invocations`, {
    method: "POST",
    headers: {
      "content-type": request.contentType,
      accept: request.accept,
      ...(request.customAttributes
        ? { "x-amzn-sagemaker-custom-attributes": request.customAttributes }
        : {}),
    },
    body: request.body as Uint8Array<ArrayBuffer>,
  });
  return {
    status: response.status,
    contentType: response.headers.get("content-type") ?? "",
    body: await response.text(),
    modelError: !response.ok,
  };
}
