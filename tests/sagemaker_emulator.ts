/**
 * A loopback stand-in for the SageMaker runtime API, in front of the real server: it takes
 * InvokeEndpoint's HTTP request (POST /endpoints/NAME/invocations), forwards body, Content-Type
 * and Accept to the container's /invocations, and answers as SageMaker does, including a
 * ModelError (424) carrying the container's original status and message. The AWS SDK is pointed
 * at it with AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME or the client's `endpoint`.
 */

export interface Emulator {
  url: string;
  requests: { endpoint: string; contentType: string | null; accept: string | null }[];
  close(): Promise<void>;
}

/**
 * InvokeEndpoint's own failures, by endpoint name: status and error type as in the service's
 * model (botocore sagemaker-runtime: ValidationError 400, ModelNotReadyException 429,
 * ServiceUnavailable 503, InternalFailure 500; ThrottlingException is AWS's common 400), with
 * messages shaped like the real ones (ARNs and account ids included).
 */
export const FAULTS: Record<string, { status: number; type: string; message: string }> = {
  "no-such-endpoint": {
    status: 400,
    type: "ValidationError",
    message: "Endpoint no-such-endpoint of account 123456789012 not found.",
  },
  "too-large": {
    status: 400,
    type: "ValidationError",
    message: "1 validation error detected: Value at 'body' failed to satisfy constraint: " +
      "Member must have length less than or equal to 6291456",
  },
  warming: {
    status: 429,
    type: "ModelNotReadyException",
    message: "Model for endpoint arn:aws:sagemaker:us-east-1:123456789012:endpoint/warming is " +
      "not ready",
  },
  throttled: { status: 400, type: "ThrottlingException", message: "Rate exceeded" },
  unavailable: { status: 503, type: "ServiceUnavailable", message: "Service is unavailable" },
  failing: {
    status: 500,
    type: "InternalFailure",
    message:
      "An internal failure occurred for arn:aws:sagemaker:us-east-1:123456789012:endpoint/failing",
  },
};

export function startEmulator(containerUrl: string): Emulator {
  const requests: Emulator["requests"] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const match = /^\/endpoints\/([^/]+)\/invocations$/.exec(new URL(req.url).pathname);
    if (req.method !== "POST" || !match) return new Response("not found", { status: 404 });
    const endpoint = decodeURIComponent(match[1]);
    const fault = FAULTS[endpoint];
    if (fault) {
      await req.body?.cancel();
      return new Response(JSON.stringify({ message: fault.message }), {
        status: fault.status,
        headers: { "content-type": "application/json", "x-amzn-errortype": fault.type },
      });
    }
    requests.push({
      endpoint,
      contentType: req.headers.get("content-type"),
      accept: req.headers.get("accept"),
    });
    const answer = await fetch(`${containerUrl}/invocations`, {
      method: "POST",
      headers: {
        "content-type": req.headers.get("content-type") ?? "application/octet-stream",
        accept: req.headers.get("accept") ?? "*/*",
      },
      body: await req.arrayBuffer(),
    });
    const text = await answer.text();
    if (answer.ok) {
      return new Response(text, {
        headers: {
          "content-type": answer.headers.get("content-type") ?? "application/octet-stream",
          "x-amzn-invoked-production-variant": "primary",
        },
      });
    }
    return new Response(
      JSON.stringify({
        Message: `Received client error (${answer.status}) from primary with message "${text}".`,
        OriginalStatusCode: answer.status,
        OriginalMessage: text,
        LogStreamArn:
          `arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/${endpoint}`,
      }),
      {
        status: 424,
        headers: {
          "content-type": "application/json",
          "x-amzn-errortype": "ModelError:http://internal.amazon.com/coral/com.amazon.sagemaker/",
        },
      },
    );
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    close: () => server.shutdown(),
  };
}

/** Credentials and region for SDK clients that talk only to loopback. */
export const FAKE_AWS = {
  region: "us-east-1",
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
};
