/**
 * The SageMaker inference HTTP contract as small handlers: GET /ping, POST /invocations,
 * GET /execution-parameters. Every failure is a JSON 4xx; an unexpected one is a logged 500,
 * and the process keeps serving.
 * @module
 */

import type { Admission, Ticket } from "./admission.ts";
import { type Deadline, deadlines } from "./deadlines.ts";
import { explainRequested } from "./explain.ts";
import type { Answer } from "./offload.ts";
import type { Metrics } from "./metrics.ts";
import { type MediaType, RequestError, requestType, responseType } from "./payload.ts";

/** Server settings, from the environment SageMaker sets. */
export interface AppOptions {
  maxPayloadBytes: number;
  maxConcurrentTransforms: number;
  /** A body not fully received within this many ms gets 408 (SAGEMAKER_MODEL_SERVER_TIMEOUT). */
  bodyTimeoutMs: number;
  /**
   * A slower body gets 408 sooner: its deadline is `bodyGraceMs` after the headers plus 1 s per
   * this many bytes received (Apache's mod_reqtimeout MinRate rule); 0 turns it off.
   */
  bodyMinBytesPerSecond: number;
  bodyGraceMs: number;
  /** This unit's budget of requests and body bytes (see admission.ts). */
  admission: Admission;
  /**
   * Answers bodies on the unit's scoring Worker (scoring.ts): this thread never parses or
   * scores, so that /ping is answered whatever the requests cost.
   */
  answerSmall: Answer;
  /** Answers bodies over 256 KB (16 KB explained) on the unit's offload Worker (offload.ts). */
  answerLarge?: Answer;
  /** One JSON object per request. */
  log: (entry: Record<string, unknown>) => void;
  /** EMF lines and GET /metrics (container/metrics.ts). */
  metrics?: Metrics;
  /** What is wrong with the server's units (health.ts), if anything: /ping says 503 then. */
  health?: () => string | undefined;
}

/** Whether the model is loaded and warm (then /ping says 200). */
export interface ModelSlot {
  loaded: boolean;
}

const CUSTOM_ATTRIBUTES = "x-amzn-sagemaker-custom-attributes";

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

const overloaded = (admission: Admission) =>
  new RequestError(
    503,
    "overloaded",
    `the server is at capacity (${admission.limits.maxRequests} requests or ` +
      `${Math.round(admission.limits.maxBodyBytes / 1024 / 1024)} MB of bodies per serving ` +
      `unit); retry shortly`,
  );

/**
 * Bodies past this size are answered on the unit's offload Worker, at a lower priority: a
 * 256 KB CSV takes about 0.1 s to parse and score, a 6 MB one seconds. Smaller ones (a
 * 1000-record JSON is 170 KB) go to the scoring Worker, which answers them in turn.
 */
const OFFLOAD_BYTES = 256 * 1024;
/** Explained bodies past this size go to the offload Worker: 16 KB is about 0.1 s of TreeSHAP. */
const EXPLAIN_OFFLOAD_BYTES = 16 * 1024;
/**
 * Bodies the scoring Worker may answer are read whole when their size is declared, in one call
 * into Deno (a 1000-record JSON, 160 KB, cost this thread 0.2-0.4 ms read chunk by chunk against
 * 0.1 ms whole: measured with a bare Deno.serve), and must arrive within the header timeout:
 * their progress cannot be watched.
 */
const WHOLE_BODY_BYTES = OFFLOAD_BYTES;

const readWhole = (declared: number) => declared > 0 && declared <= WHOLE_BODY_BYTES;

/**
 * Reads the body as text, refusing more than `limit` bytes (413) without reading it all. The
 * buffer grows with what arrives (never sized by the declared length, which a slow client may
 * never send); a body without a declared length is charged to `ticket` as it arrives.
 */
async function readBody(
  req: Request,
  declared: number,
  limit: number,
  ticket: Ticket,
  admission: Admission,
  progress: { received: number },
): Promise<Uint8Array> {
  const tooLarge = () =>
    new RequestError(
      413,
      "payload_too_large",
      `the body exceeds ${limit / 1024 / 1024} MB (SAGEMAKER_MAX_PAYLOAD_IN_MB)`,
    );
  if (!req.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    if (readWhole(declared)) return new Uint8Array(await req.arrayBuffer());
    for await (const chunk of req.body) {
      size += chunk.length;
      progress.received = size;
      if (size > limit) throw tooLarge();
      if (size > declared && !ticket.grow(chunk.length)) throw overloaded(admission);
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof RequestError) throw err;
    // The connection went away mid-body (client gone, or Deno closing it at shutdown).
    throw new RequestError(
      400,
      "incomplete_body",
      "the connection ended before the whole body arrived",
    );
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  chunks.length = 0;
  return bytes;
}

/**
 * Frees a body's memory now (detaching its buffer), not at this isolate's next collection: this
 * thread allocates little on its own heap, so collections are rare, and garbage bodies held
 * malloc's heap up meanwhile (under 1000-record loads it was 70 MB, 58 MB with this). A buffer
 * that went to the offload Worker may be detached already.
 */
function freeNow(bytes: Uint8Array): void {
  const buffer = bytes.buffer;
  if (buffer instanceof ArrayBuffer && !buffer.detached) buffer.transfer(0);
}

/**
 * `work`, or the error from `timedOut` once `deadline()` (read again whenever it is reached: it
 * moves as the body arrives) has passed. A client that stops sending keeps its read pending;
 * the answer goes out anyway, and the connection is closed with it.
 */
async function withDeadline<T>(
  work: Promise<T>,
  deadline: () => number,
  timedOut: () => Error,
): Promise<T> {
  let watch: Deadline | undefined;
  const expired = new Promise<never>((_, reject) => {
    const check = () => {
      const at = deadline();
      if (at <= performance.now()) reject(timedOut());
      else watch!.at = at;
    };
    watch = deadlines.watch(check);
    check();
  });
  work.catch(() => {}); // settles after the answer when the client goes away: not unhandled
  try {
    return await Promise.race([work, expired]);
  } finally {
    watch!.cancel();
  }
}

/** Every 503 says when to come back: a second (the model loads, the load passes). */
const RETRY = { "retry-after": "1" };

async function invocations(req: Request, options: AppOptions) {
  const accept = responseType(req.headers.get("accept"));
  const type = requestType(req.headers.get("content-type"));
  const declared = Number(req.headers.get("content-length")) || 0;
  // Refused unread: the body is not touched (so no 100 Continue is sent) and the answer closes
  // the connection (so the body is not read to the end either).
  if (declared > options.maxPayloadBytes) {
    throw new RequestError(
      413,
      "payload_too_large",
      `the body exceeds ${options.maxPayloadBytes / 1024 / 1024} MB (SAGEMAKER_MAX_PAYLOAD_IN_MB)`,
    );
  }
  // Admitted or refused before a byte of the body is read.
  const ticket = options.admission.admit(declared);
  if (!ticket) {
    throw overloaded(options.admission);
  }
  try {
    return await predictBody(req, declared, options, ticket, accept, type);
  } finally {
    ticket.release();
  }
}

async function predictBody(
  req: Request,
  declared: number,
  options: AppOptions,
  ticket: Ticket,
  accept: MediaType,
  type: MediaType,
) {
  const started = performance.now();
  const progress = { received: 0 };
  const rate = options.bodyMinBytesPerSecond;
  const last = started + options.bodyTimeoutMs;
  const whole = readWhole(declared);
  const grace = started + options.bodyGraceMs;
  // A body read whole shows no progress: the header timeout is all it gets.
  const byRate = () => rate <= 0 ? Infinity : grace + (whole ? 0 : progress.received / rate * 1000);
  const tooSlow = () =>
    whole
      ? `the body (${declared} bytes) did not arrive within ${options.bodyGraceMs / 1000} s: ` +
        `a body up to ${WHOLE_BODY_BYTES / 1024} KB must arrive whole within ` +
        `HEADER_TIMEOUT_SECONDS (past that, at BODY_MIN_RATE_KB)`
      : `the body arrives too slowly: ${progress.received} bytes in ` +
        `${((performance.now() - started) / 1000).toFixed(1)} s, under ${rate / 1024} KB/s ` +
        `after the first ${options.bodyGraceMs / 1000} s (BODY_MIN_RATE_KB)`;
  const bytes = await withDeadline(
    readBody(req, declared, options.maxPayloadBytes, ticket, options.admission, progress),
    () => Math.min(last, byRate()),
    () =>
      new RequestError(
        408,
        "request_timeout",
        byRate() < last
          ? tooSlow()
          : `the body did not arrive within ${options.bodyTimeoutMs / 1000} s ` +
            `(SAGEMAKER_MODEL_SERVER_TIMEOUT)`,
      ),
  );
  const custom = req.headers.get(CUSTOM_ATTRIBUTES);
  const explain = explainRequested(custom);
  // This loop only waits meanwhile. Explanations (X-Amzn-SageMaker-Custom-Attributes:
  // explain) cost far more per record.
  const large = bytes.length > (explain ? EXPLAIN_OFFLOAD_BYTES : OFFLOAD_BYTES);
  const answer = large && options.answerLarge ? options.answerLarge : options.answerSmall;
  let answered;
  try {
    answered = await answer(bytes, type, accept, explain);
  } finally {
    freeNow(bytes);
  }
  const { body, records, survived } = answered;
  const headers: Record<string, string> = { "content-type": accept };
  if (custom !== null) headers[CUSTOM_ATTRIBUTES] = custom;
  return { response: new Response(body as BodyInit, { headers }), records, survived };
}

const ROUTES: Record<string, string> = {
  "/ping": "GET",
  "/invocations": "POST",
  "/execution-parameters": "GET",
  "/metrics": "GET",
};

/** The request handler, and a way to drain it before the server shuts down. */
export interface Handler {
  (req: Request): Promise<Response>;
  /**
   * Stops taking requests (new ones get 503) and resolves once every request already
   * received has been answered. Deno's `shutdown` alone would cut bodies still being read.
   */
  drain(): Promise<void>;
  /**
   * Requests answered so far (health checks not counted), and requests being answered now: for
   * idle detection.
   */
  readonly answered: number;
  readonly inFlight: number;
}

/** Builds the request handler. */
export function createHandler(slot: ModelSlot, options: AppOptions): Handler {
  let inFlight = 0;
  let answered = 0;
  let draining = false;
  let drained: (() => void) | undefined;
  const handle = async (req: Request): Promise<Response> => {
    if (draining) {
      await req.body?.cancel();
      return json(503, { error: "shutting_down", message: "the server is shutting down" }, {
        "retry-after": "1",
        connection: "close",
      });
    }
    inFlight++;
    try {
      return await answer(req);
    } finally {
      if (--inFlight === 0) drained?.();
    }
  };
  const answer = async (req: Request): Promise<Response> => {
    const started = performance.now();
    const path = new URL(req.url).pathname;
    let records = 0;
    let survived = 0;
    let response: Response;
    let errorCode: string | undefined;
    try {
      const method = ROUTES[path];
      if (!method) throw new RequestError(404, "not_found", `no route ${path}`);
      if (req.method !== method && !(method === "GET" && req.method === "HEAD")) {
        throw new RequestError(
          405,
          "method_not_allowed",
          `${path} accepts ${method === "GET" ? "GET and HEAD" : method} only`,
        );
      }
      if (path === "/ping") {
        // Health checks are frequent: answered, not logged, not counted.
        if (!slot.loaded) {
          return json(503, { error: "not_ready", message: "the model is loading" }, RETRY);
        }
        const problem = options.health?.();
        return problem
          ? json(503, { error: "unhealthy", message: problem }, RETRY)
          : new Response(null, { status: 200 });
      }
      if (path === "/metrics") {
        // Scrapes, like health checks: not logged, not counted.
        return new Response(options.metrics?.prometheus() ?? "", {
          headers: { "content-type": "text/plain; version=0.0.4" },
        });
      }
      if (path === "/execution-parameters") {
        response = json(200, {
          MaxConcurrentTransforms: options.maxConcurrentTransforms,
          BatchStrategy: "MULTI_RECORD",
          MaxPayloadInMB: Math.floor(options.maxPayloadBytes / 1024 / 1024),
        });
      } else {
        if (!slot.loaded) throw new RequestError(503, "not_ready", "the model is loading");
        ({ response, records, survived } = await invocations(req, options));
      }
    } catch (err) {
      if (err instanceof RequestError) {
        errorCode = err.code;
        const headers: Record<string, string> = err.status === 405
          ? { allow: ROUTES[path] === "GET" ? "GET, HEAD" : ROUTES[path] }
          : err.status === 408 || err.status === 413
          ? { connection: "close" }
          : err.code === "overloaded"
          ? { ...RETRY, connection: "close" }
          : err.status === 503
          ? RETRY
          : {};
        // Custom attributes come back on errors too: the caller's correlation survives them.
        const custom = req.headers.get(CUSTOM_ATTRIBUTES);
        if (custom !== null) headers[CUSTOM_ATTRIBUTES] = custom;
        response = json(err.status, err.body(), headers);
      } else {
        errorCode = "internal_error";
        options.log({
          level: "error",
          message: "unexpected error",
          error: String(err),
          stack: (err as Error)?.stack,
        });
        response = json(500, { error: "internal_error", message: "unexpected server error" });
      }
    }
    answered++;
    const latencyMs = performance.now() - started;
    if (path === "/invocations") {
      options.metrics?.observe({
        status: response.status,
        latencyMs,
        records,
        survived,
        error: errorCode,
      });
    }
    options.log({
      level: response.status >= 500 ? "error" : "info",
      method: req.method,
      path,
      status: response.status,
      records,
      latency_ms: Math.round(latencyMs * 1000) / 1000,
      ...(errorCode ? { error: errorCode } : {}),
    });
    return response;
  };
  return Object.defineProperties(handle, {
    answered: { get: () => answered },
    inFlight: { get: () => inFlight },
    drain: { value: drain },
  }) as Handler;

  function drain(): Promise<void> {
    draining = true;
    return inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (drained = resolve));
  }
}
