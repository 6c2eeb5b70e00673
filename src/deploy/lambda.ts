/**
 * A Lambda proxy (Node.js 20 runtime, Function URL, payload format 2.0) in front of the
 * SageMaker endpoint: it forwards the body (base64 handled), Content-Type and Accept to
 * InvokeEndpoint and returns the model's answer with its content type; a ModelError keeps the
 * model's original status and message; a request without a body is a 400.
 * Configuration: ENDPOINT_NAME (required), AWS_REGION (set by Lambda).
 * @module
 */

import { SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { invokeEndpoint, type InvokeRequest, type InvokeResult } from "./invoke.ts";
import { checkInvokeRequest } from "./validation.ts";

/** The parts of a Function URL event (payload 2.0) the proxy reads. */
export interface FunctionUrlEvent {
  headers?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
  requestContext?: { http?: { method?: string } };
}

export interface FunctionUrlResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: false;
}

const json = (statusCode: number, body: unknown): FunctionUrlResult => ({
  statusCode,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
  isBase64Encoded: false,
});

/**
 * A 400 naming the header when the request breaks InvokeEndpoint's rules (ASCII headers of at
 * most 1024 characters, a body of at most 6 MB), which SageMaker would refuse with a
 * ValidationError; undefined when it may be forwarded.
 */
export function invalidProxyRequest(request: InvokeRequest): FunctionUrlResult | undefined {
  const problems = checkInvokeRequest(request, {
    contentType: "Content-Type",
    accept: "Accept",
    customAttributes: "X-Amzn-SageMaker-Custom-Attributes",
  });
  if (problems.length === 0) return undefined;
  const code = request.body.length > 6 * 1024 * 1024 ? 413 : 400;
  return json(code, { error: "invalid_request", message: problems.join("; ") });
}

/** Builds the handler around an invoker (InvokeEndpoint in production). */
export function createProxy(invoke: (request: InvokeRequest) => Promise<InvokeResult>) {
  return async (event: FunctionUrlEvent): Promise<FunctionUrlResult> => {
    const method = event.requestContext?.http?.method ?? "POST";
    if (method !== "POST") {
      return {
        ...json(405, { error: "method_not_allowed", message: "use POST" }),
        headers: { "content-type": "application/json", allow: "POST" },
      };
    }
    if (!event.body) {
      return json(400, { error: "empty_body", message: "the request has no body" });
    }
    // Function URLs lower-case header names.
    const headers = Object.fromEntries(
      Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v ?? ""]),
    );
    const body = event.isBase64Encoded
      ? Uint8Array.from(atob(event.body), (c) => c.charCodeAt(0))
      : new TextEncoder().encode(event.body);
    const request: InvokeRequest = {
      body,
      contentType: headers["content-type"] || "application/json",
      accept: headers["accept"] || "application/json",
      ...(headers["x-amzn-sagemaker-custom-attributes"]
        ? { customAttributes: headers["x-amzn-sagemaker-custom-attributes"] }
        : {}),
    };
    const invalid = invalidProxyRequest(request);
    if (invalid) return invalid;
    try {
      const result = await invoke(request);
      return {
        statusCode: result.status,
        headers: { "content-type": result.contentType },
        body: result.body,
        isBase64Encoded: false,
      };
    } catch (err) {
      const name = (err as Error)?.name ?? "Error";
      const status = name === "ModelNotReadyException"
        ? 503
        : name === "ThrottlingException"
        ? 429
        : 502;
      console.error(
        JSON.stringify({ level: "error", error: name, message: String((err as Error)?.message) }),
      );
      return json(status, { error: name, message: String((err as Error)?.message ?? err) });
    }
  };
}

let client: SageMakerRuntimeClient | undefined;

/** The Lambda entry point. */
export const handler = createProxy((request) => {
  const endpoint = process.env.ENDPOINT_NAME;
  if (!endpoint) {
    throw Object.assign(new Error("ENDPOINT_NAME is not set"), { name: "ConfigurationError" });
  }
  client ??= new SageMakerRuntimeClient({});
  return invokeEndpoint(client, endpoint, request);
});
