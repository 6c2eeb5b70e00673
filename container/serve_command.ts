/**
 * `deno task serve` (and `IMAGE serve`): its options and environment, declared once. A module of
 * its own so that tests read the declaration without starting a server.
 * @module
 */

import { defineCommand } from "../src/util/command.ts";

export const command = defineCommand({
  task: "deno task serve",
  usage: "[--port N] [--host H] [--model FILE]",
  summary: `
Serves the model with the SageMaker inference contract: GET /ping, POST /invocations,
GET /execution-parameters.`,
  positionals: {
    name: "serve",
    help: "the argument SageMaker appends (IMAGE serve); ignored",
    max: 1,
    choices: ["serve"],
  },
  options: {
    port: {
      type: "integer",
      min: 0,
      max: 65535,
      env: "SAGEMAKER_BIND_TO_PORT",
      default: 8080,
      help: "port",
    },
    host: { type: "string", arg: "H", shownDefault: "0.0.0.0", help: "address to bind" },
    model: {
      type: "string",
      arg: "FILE",
      help: "ONNX file; its card is the .json beside it (default: the first model in " +
        "/opt/ml/model or MODEL_DIR, else models/titanic.onnx)",
    },
  },
  environment: {
    SAGEMAKER_MAX_PAYLOAD_IN_MB: {
      // Whole MB: /execution-parameters reports it as MaxPayloadInMB, an integer (0 there
      // means no limit, so 0.5 could not be told truthfully).
      type: "integer",
      min: 1,
      default: 6,
      help: "largest request body in MB (whole MB)",
    },
    SAGEMAKER_MODEL_SERVER_TIMEOUT: {
      type: "number",
      min: 0,
      minExclusive: true,
      default: 60,
      help: "seconds a request body may take to arrive, else 408",
    },
    SAGEMAKER_MODEL_SERVER_WORKERS: {
      type: "integer",
      min: 1,
      shownDefault: "one per CPU",
      help: "scoring Workers, each a thread with its own onnxruntime session (and as many " +
        "offload Workers at most, for bodies over 256 KB)",
    },
    SCORERS_PER_UNIT: {
      type: "integer",
      min: 1,
      default: 4,
      help: "scoring Workers whose bytes one serving unit moves: a unit is a thread that " +
        "accepts connections, reads bodies, writes answers and answers /ping",
    },
    MODEL_THREADS: {
      type: "integer",
      min: 1,
      shownDefault: "CPUs / scoring Workers",
      help: "onnxruntime threads per prediction",
    },
    MODEL_DIR: { type: "string", default: "/opt/ml/model", help: "where SageMaker puts the model" },
    RELEASE_STARTUP_MEMORY: {
      type: "choice",
      choices: ["0", "1"],
      default: "1",
      help: "0: keep the pages start-up touched resident (see container/memory.ts)",
    },
    MAX_INFLIGHT_REQUESTS: {
      type: "integer",
      min: 1,
      shownDefault: "sized from the cgroup's memory.max, else the machine's memory",
      help: "requests per serving unit past which /invocations answers 503 with Retry-After " +
        "before reading the body",
    },
    MAX_INFLIGHT_BODY_MB: {
      type: "number",
      min: 0,
      minExclusive: true,
      shownDefault: "sized as MAX_INFLIGHT_REQUESTS",
      help: "body MB in flight per serving unit past which the same happens",
    },
    MAX_CONNECTIONS: {
      type: "integer",
      min: 1,
      default: 1000,
      help: "open connections per serving unit; past it a new one gets 503 (health checks " +
        "are answered)",
    },
    HEADER_TIMEOUT_SECONDS: {
      type: "number",
      min: 0,
      minExclusive: true,
      default: 10,
      help: "a new connection whose first request has not arrived by then is closed",
    },
    KEEPALIVE_TIMEOUT_SECONDS: {
      type: "number",
      min: 0,
      minExclusive: true,
      default: 75,
      help: "a connection idle this long after its last answer is closed (longer than a " +
        "proxy's 60 s)",
    },
    BODY_MIN_RATE_KB: {
      type: "number",
      min: 0,
      default: 1,
      help: "once the header timeout has passed, a body must keep arriving at this many KB/s, " +
        "else 408 (0: no minimum)",
    },
  },
  notes: [
    "Metrics (container/metrics.ts): METRICS_NAMESPACE (default Titanic/Inference), " +
    "METRICS_DIMENSIONS (Name=value,...; default EndpointName=ENDPOINT_NAME, " +
    "VariantName=VARIANT_NAME), METRICS_EMF (0: no EMF lines).",
  ],
});
