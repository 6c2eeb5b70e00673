/**
 * onnxruntime's own throughput for a model, in this process: the physical floor of the server's
 * cost, since everything else (reading, parsing, validating, encoding, writing) comes on top.
 * The session is created as the server creates one (one intra-op thread per scoring Worker by
 * default) and fed an already-encoded batch. onnxruntime-node's run occupies the calling thread
 * (two sessions in one isolate do not overlap: measured), so U sessions at once run in U child
 * processes, started together: U times one session alone is not what U cores give, since the
 * sessions share caches and memory bandwidth and one session alone swings with what else the
 * cores run (2 shared CPUs, 2026-12-03: two at once gave 0.85 to 1.18 of twice one alone).
 * @module
 */

import type { RawColumns } from "../src/codec/columns.ts";
import { encodeInputs } from "../src/codec/inputs.ts";
import { OnnxModel } from "../src/inference/model.ts";
import type { MediaType } from "./payload.ts";
import type { Breakdown } from "./request_breakdown.ts";

export interface EngineFigures {
  /** Rows/s of one session on one thread, runs serially (median of `runs`). */
  perThread: number;
  min: number;
  max: number;
  /** Milliseconds per batch at the median. */
  msPerBatch: number;
}

/** Batches per second of `model` for `seconds`. */
async function batchesPerSecond(
  model: OnnxModel,
  inputs: ReturnType<typeof encodeInputs>,
  seconds: number,
): Promise<number> {
  let done = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    await model.predict(inputs);
    done++;
  }
  return done / ((performance.now() - start) / 1000);
}

/** A loaded session over one encoded batch, ready to be measured again and again. */
export interface EngineMeter {
  readonly model: OnnxModel;
  /** Rows/s over `seconds` of back-to-back runs. */
  measure(seconds: number): Promise<number>;
}

/** Loads `modelPath` as a serving unit does and encodes `columns` once; warms it up. */
export async function openEngine(
  modelPath: string,
  columns: RawColumns,
  threads: number,
): Promise<EngineMeter> {
  const model = await OnnxModel.load(modelPath, undefined, { intraOpThreads: threads });
  const inputs = encodeInputs(columns, model.inputNames);
  for (let i = 0; i < 20; i++) await model.predict(inputs);
  return {
    model,
    measure: async (seconds) => await batchesPerSecond(model, inputs, seconds) * columns.length,
  };
}

/** `runs` measurements of `seconds` each: the median and the range. */
export async function engineThroughput(
  engine: EngineMeter,
  rows: number,
  options: { runs: number; seconds: number },
): Promise<EngineFigures> {
  const rates: number[] = [];
  for (let r = 0; r < options.runs; r++) rates.push(await engine.measure(options.seconds));
  rates.sort((a, b) => a - b);
  const perThread = rates[Math.floor(rates.length / 2)];
  return {
    perThread,
    min: rates[0],
    max: rates[rates.length - 1],
    msPerBatch: (rows / perThread) * 1000,
  };
}

/** What {@link probeEngine} measures in its child process. */
export interface ProbeRequest {
  runs: number;
  seconds: number;
  /** Also time each step of a 1000-record request of every media type (request_breakdown.ts). */
  breakdown?: boolean;
}

export interface ProbeResult {
  figures: EngineFigures;
  breakdowns: { type: MediaType; ms: Breakdown }[];
}

/** What the child is told: the probe, and whether to wait for "go" on stdin once warm. */
interface ChildRequest extends ProbeRequest {
  modelPath: string;
  threads: number;
  together?: boolean;
}

const READY = "ready";

function probeChild(request: ChildRequest, stdin: "piped" | "null"): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL(import.meta.url).pathname, JSON.stringify(request)],
    stdin,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
}

/** The child's stdout as lines, one at a time. */
async function* linesOf(child: Deno.ChildProcess): AsyncGenerator<string> {
  let pending = "";
  for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) {
    pending += text;
    let end;
    while ((end = pending.indexOf("\n")) >= 0) {
      yield pending.slice(0, end);
      pending = pending.slice(end + 1);
    }
  }
  if (pending) yield pending;
}

async function lastLine(lines: AsyncGenerator<string>, child: Deno.ChildProcess) {
  let last = "";
  for await (const line of lines) last = line;
  const status = await child.status;
  if (!status.success) throw new Error(`the onnxruntime probe failed (exit ${status.code})`);
  return JSON.parse(last);
}

/**
 * onnxruntime's throughput on 1000 of the benchmark's passengers, measured in a child process
 * that exits afterwards. In the benchmark's own process, onnxruntime's and deno's code pages
 * would be mapped by two processes while the server runs: the server's start-up release
 * (container/memory.ts) cannot page out pages another process maps, and its RSS counted about
 * 17 MB that a server alone does not hold.
 */
export async function probeEngine(
  modelPath: string,
  threads: number,
  request: ProbeRequest,
): Promise<ProbeResult> {
  const child = probeChild({ modelPath, threads, ...request }, "null");
  return await lastLine(linesOf(child), child);
}

/** `sessions` sessions of onnxruntime running at once: their rows/s added up. */
export interface TogetherFigures {
  /** Sum of the sessions' rows/s in the same run (median of the runs). */
  total: number;
  min: number;
  max: number;
  sessions: number;
  /** The time all sessions measured at once over the time any did (1 = fully together). */
  overlap: number;
}

/**
 * `sessions` child processes, each one session as {@link probeEngine}'s, loaded and warmed
 * first and then released at the same moment, so that their runs overlap (each lasts the same
 * seconds, back to back): the engine's own limit with one session per scoring Worker.
 */
export async function probeEngineTogether(
  modelPath: string,
  threads: number,
  sessions: number,
  request: { runs: number; seconds: number },
): Promise<TogetherFigures> {
  const children = Array.from(
    { length: sessions },
    () => probeChild({ modelPath, threads, ...request, together: true }, "piped"),
  );
  const lines = children.map(linesOf);
  try {
    for (const [i, child] of children.entries()) {
      const first = await lines[i].next();
      if (first.done || first.value !== READY) {
        throw new Error(`the onnxruntime probe did not start (exit ${(await child.status).code})`);
      }
    }
    const go = new TextEncoder().encode("go\n");
    await Promise.all(children.map(async (child) => {
      const writer = child.stdin.getWriter();
      await writer.write(go);
      await writer.close();
    }));
    const results: { rates: number[]; window: [number, number] }[] = await Promise.all(
      children.map((child, i) => lastLine(lines[i], child)),
    );
    const totals = results[0].rates.map((_, r) => results.reduce((sum, c) => sum + c.rates[r], 0))
      .sort((a, b) => a - b);
    const starts = results.map((c) => c.window[0]), ends = results.map((c) => c.window[1]);
    const overlap = (Math.min(...ends) - Math.max(...starts)) /
      (Math.max(...ends) - Math.min(...starts));
    return {
      total: totals[Math.floor(totals.length / 2)],
      min: totals[0],
      max: totals[totals.length - 1],
      sessions,
      overlap,
    };
  } finally {
    for (const child of children) {
      try {
        child.kill();
      } catch { /* already exited */ }
    }
  }
}

if (import.meta.main) {
  const { benchPassengers, bodies, columnsOf, take } = await import("./bench_bodies.ts");
  const { requestBreakdown } = await import("./request_breakdown.ts");
  const { modelPath, threads, runs, seconds, breakdown, together } = JSON.parse(
    Deno.args[0],
  ) as ChildRequest;
  const thousand = take((await benchPassengers()).records, 1000);
  const engine = await openEngine(modelPath, columnsOf(thousand), threads);
  if (together) {
    console.log(READY);
    // Wait for the parent's "go" (stdin ends after it): every session starts measuring at once.
    for await (const _ of Deno.stdin.readable) break;
    const rates: number[] = [];
    const start = performance.timeOrigin + performance.now();
    for (let r = 0; r < runs; r++) rates.push(await engine.measure(seconds));
    const window = [start, performance.timeOrigin + performance.now()];
    console.log(JSON.stringify({ rates, window }));
  } else {
    const figures = await engineThroughput(engine, thousand.length, { runs, seconds });
    const breakdowns: ProbeResult["breakdowns"] = [];
    if (breakdown) {
      for (const [type, body] of Object.entries(bodies(thousand))) {
        breakdowns.push({
          type: type as MediaType,
          ms: await requestBreakdown(engine.model, body, type as MediaType),
        });
      }
    }
    console.log(JSON.stringify({ figures, breakdowns }));
  }
}
