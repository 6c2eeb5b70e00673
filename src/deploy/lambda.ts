/**
 * A Lambda proxy (Node.js 20 runtime, Function URL, payload format 2.0) in front of the
 * SageMaker endpoint: it forwards the body (base64 handled), Content-Type and Accept to
 * InvokeEndpoint and returns the model's answer with its content type; a ModelError keeps the
 * model's original status and message; a request without a body is a 400; InvokeEndpoint's own
 * failures get a short answer with the model's status (see REFUSALS), AWS's message is logged.
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
      return refusal(err);
    }
  };
}

/**
 * What the caller hears when InvokeEndpoint fails (a ModelError never gets here: it is the
 * model's own answer): a status and a short message saying how the model stands, in the
 * project's words. AWS's message (ARNs, account ids, endpoint names) goes to the log only.
 */
interface Refusal {
  status: number;
  error: string;
  message: string;
  /** Seconds, for Retry-After. */
  retry?: number;
}

const REFUSALS: Record<string, Refusal> = {
  ValidationError: {
    status: 400,
    error: "invalid_request",
    message: "SageMaker refused the request (a body over 6 MB, or a header it does not accept)",
  },
  ModelNotReadyException: {
    status: 503,
    error: "model_not_ready",
    message: "the model is starting; try again shortly",
    retry: 5,
  },
  ThrottlingException: {
    status: 429,
    error: "throttled",
    message: "the model is receiving too many requests; try again shortly",
    retry: 1,
  },
  ServiceUnavailable: {
    status: 503,
    error: "model_unavailable",
    message: "the model is unavailable; try again shortly",
    retry: 5,
  },
};
const ENDPOINT_MISSING: Refusal = {
  status: 503,
  error: "model_unavailable",
  message: "the model is not deployed",
};
const MISCONFIGURED: Refusal = {
  status: 500,
  error: "proxy_misconfigured",
  message: "the proxy cannot call the model (its configuration or permissions)",
};
const UNREACHABLE: Refusal = {
  status: 502,
  error: "model_unreachable",
  message: "the model did not answer",
};

/** Failures before a request leaves the proxy: no ENDPOINT_NAME, no credentials. */
const PROXY_FAULTS = new Set(["ConfigurationError", "CredentialsProviderError"]);

function refusal(err: unknown): FunctionUrlResult {
  const e = err as {
    name?: string;
    message?: string;
    $fault?: string;
    $metadata?: Record<string, unknown>;
  };
  const name = e?.name ?? "Error";
  console.error(JSON.stringify({
    level: "error",
    error: name,
    message: String(e?.message ?? err),
    aws_status: e?.$metadata?.httpStatusCode,
    aws_request_id: e?.$metadata?.requestId,
  }));
  const known = name === "ValidationError" && /endpoint .* not found/i.test(String(e?.message))
    ? ENDPOINT_MISSING
    : REFUSALS[name] ??
      // A client fault that is none of the above is the proxy's (credentials, role, region).
      (e?.$fault === "client" || PROXY_FAULTS.has(name) ? MISCONFIGURED : UNREACHABLE);
  const result = json(known.status, { error: known.error, message: known.message });
  if (known.retry) result.headers["retry-after"] = String(known.retry);
  return result;
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
