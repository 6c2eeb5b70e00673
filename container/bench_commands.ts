/**
 * The options of the container's benchmark and load tasks, declared once, apart from the
 * scripts (which start servers at import) so that tests read them without running anything.
 * Not in the image (.dockerignore).
 * @module
 */

import { defineCommand } from "../src/util/command.ts";
import { command as serve } from "./serve_command.ts";

export const benchServerCommand = defineCommand({
  task: "deno task bench:server",
  usage: "",
  summary: `
Starts the server (deno task serve, on 127.0.0.1) and prints:
- onnxruntime alone on the committed model: rows/s of one session on one thread, 1000-row
batches from test.csv and train.csv encoded with the codec, in a child process (before and after
the server's loads; so that no onnxruntime pages are shared with the server), and of one such
session per scoring Worker running at once (a child process each, released together);
- per 1000-record request of each media type, in that child process: UTF-8 decoding, parsing and
validation into the model's inputs, onnxruntime, the answer (ms, medians);
- cold start, RSS after start, 1-record latency (serial) and req/s (16 connections), 100- and
1000-record JSON bodies, and 1000-record CSV and JSON-lines bodies (records/s);
- efficiency: the server's records/s over onnxruntime's rows/s with one session per scoring
Worker at once, for 1000-record bodies per run against a 1 s run of them taken just before it
(the machine's speed drifts: compare ratios, not absolute figures, between runs), and over
scoring Workers x one session alone (which leaves out what the sessions cost each other);
- memory of the server process: steady state (median of samples) and peak under the loads (the
highest sample of each load, the start-up peak), at their end and 2.5 s after (this process pages
out its own code before it starts the server: Linux does not page out, in the server's start-up
release, what another process maps).

Goals (printed, never asserted): efficiency >= 80 % on 1000-record bodies, peak RSS <= 150 MB.`,
  options: {},
  environment: {
    BENCH_RUNS: { type: "integer", min: 1, default: 3, help: "runs per load" },
    SAGEMAKER_MODEL_SERVER_WORKERS: {
      ...serve.environment.SAGEMAKER_MODEL_SERVER_WORKERS,
      help: "passed to the server: scoring Workers",
    },
    MODEL_THREADS: { ...serve.environment.MODEL_THREADS, help: "passed to the server" },
  },
  notes: [
    "TITANIC_DATA_DIR: the CSVs (else data/raw/, else the three example passengers). Load " +
    "generator: wrk if installed, else fetch in this process.",
  ],
});

export const loadCommand = defineCommand({
  task: "deno task test:load",
  usage: "[--url URL --pid PID]",
  summary: `
The load and fault suite: starts the real server on loopback with the admission budget of a
1 GiB container and runs bounded scenarios, printing figures and exiting 1 when a rule breaks.
heavy: 16 clients each sending 6 MB CSV bodies at once (/ping always < 2 s, every answer 200 or
JSON 503/429, peak RSS <= 1 GiB, RSS back under 150 MB within 5 s); slow: 500 connections, half
trickling their headers (closed after the header timeout), half trickling a declared 6 MB body
(408 under the minimum rate, or 503 at admission), while a normal client keeps being answered
(p99 printed, goal < 100 ms); drain: SIGTERM with requests in flight (they are answered, and the
process exits 0). With --url and --pid: the heavy scenario only, against a server already
running there (the image under podman --memory 1g: tools/image_load.sh), also requiring that
the kernel counted no OOM kill in its memory cgroup.`,
  options: {
    url: { type: "string", arg: "URL", help: "a running server (with --pid)" },
    pid: { type: "integer", min: 1, arg: "PID", help: "its process id on this host (with --url)" },
  },
  environment: {
    SAGEMAKER_MODEL_SERVER_WORKERS: {
      ...serve.environment.SAGEMAKER_MODEL_SERVER_WORKERS,
      help: "scoring Workers (split between serving units as the server splits them)",
    },
    SCORERS_PER_UNIT: serve.environment.SCORERS_PER_UNIT,
  },
});

export const explainBenchCommand = defineCommand({
  task: "deno task bench:explain",
  summary: `
Prints what explanations cost on the real server, on loopback: one-record requests (p50, p99)
and 1000-record requests, with and without explain=true, sequential so that each figure is
one request's own latency. The model must carry covers (trained since explanations exist).`,
  options: {
    model: {
      type: "string",
      arg: "FILE",
      default: new URL("../models/titanic.onnx", import.meta.url).pathname,
      shownDefault: "models/titanic.onnx",
      help: "ONNX model",
    },
    plain: {
      type: "boolean",
      help: "requests without explanations only (to compare with a server that has none)",
    },
  },
});
