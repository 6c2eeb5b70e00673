/**
 * Starts the real server (container/server.ts) as a subprocess on a free loopback port and
 * follows its JSON log. Used by the integration tests and `deno task bench:server`.
 * @module
 */

const ROOT = new URL("../", import.meta.url).pathname;

export interface RunningServer {
  url: string;
  process: Deno.ChildProcess;
  /** Parsed JSON log lines so far. */
  logs: Record<string, unknown>[];
  /** Resolves with the exit status once the process ends. */
  exited: Promise<Deno.CommandStatus>;
  /**
   * Resolves with the log line that ends start-up ("start-up memory released", or "... kept"),
   * written once every serving unit is warm; undefined if the process ends first.
   */
  startupDone: Promise<Record<string, unknown> | undefined>;
  /**
   * The first log line that `match` accepts, once it has been read. The server writes a
   * request's line up to a few milliseconds after its answer (container/log_lines.ts), so a
   * test that has its answer may not have its line yet. Rejects with the lines so far after
   * `seconds`, or once the process has ended without one.
   */
  logged(
    match: (line: Record<string, unknown>) => boolean,
    seconds?: number,
  ): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

export interface LaunchOptions {
  /** Wait until /ping says 200 (default true). */
  waitReady?: boolean;
  /** Keep parsing log lines after start-up (default true; benchmarks turn it off). */
  keepLogs?: boolean;
}

/**
 * A deno.json task split into its environment prefix (`NAME=value ...`, the privacy opt-outs)
 * and the arguments after "deno", so that tests and benchmarks run it exactly as users do.
 */
export function taskCommand(name: string): { env: Record<string, string>; args: string[] } {
  const config = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`));
  const words = String(config.tasks[name]).split(/\s+/);
  const env: Record<string, string> = {};
  while (/^[A-Z_][A-Z0-9_]*=/.test(words[0] ?? "")) {
    const [key, ...value] = words.shift()!.split("=");
    env[key] = value.join("=");
  }
  const [deno, ...args] = words;
  if (deno !== "deno") throw new Error(`task ${name} is not "[NAME=value ...] deno ..."`);
  return { env, args };
}

/** `deno task serve` as {@link taskCommand} splits it. */
export function serveCommand(): { env: Record<string, string>; args: string[] } {
  const command = taskCommand("serve");
  if (command.args[0] !== "run" || !command.args.includes("container/server.ts")) {
    throw new Error(`deno.json's serve task is not "[NAME=value ...] deno run ... server.ts"`);
  }
  return command;
}

/** Launches the server; resolves once /ping says 200 (or rejects with its logs). */
export async function startServer(
  args: string[] = [],
  env: Record<string, string> = {},
  options: LaunchOptions = {},
): Promise<RunningServer> {
  const { waitReady = true, keepLogs = true } = options;
  let ready = false;
  const serve = serveCommand();
  const process = new Deno.Command(Deno.execPath(), {
    args: [
      ...serve.args,
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      ...args,
    ],
    cwd: ROOT,
    env: { ...serve.env, MODEL_DIR: "/nonexistent", NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const logs: Record<string, unknown>[] = [];
  let resolvePort: (port: number) => void = () => {};
  const portKnown = new Promise<number>((r) => (resolvePort = r));
  let startupEnded = false;
  let endStartup: (entry?: Record<string, unknown>) => void = () => {};
  const startupLine = new Promise<Record<string, unknown> | undefined>((r) => (endStartup = r));
  const reading = (async () => {
    const decoder = new TextDecoderStream();
    let buffer = "";
    for await (const chunk of process.stdout.pipeThrough(decoder)) {
      if (ready && startupEnded && !keepLogs) continue; // drain without parsing (benchmarks)
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const entry = JSON.parse(line);
          logs.push(entry);
          if (entry.message === "listening") resolvePort(entry.port);
          if (String(entry.message).startsWith("start-up memory")) {
            startupEnded = true;
            endStartup(entry);
          }
        } catch {
          logs.push({ raw: line });
        }
      }
    }
  })();
  const stderr = new Response(process.stderr).text();
  const exited = (async () => {
    const status = await process.status;
    await reading;
    endStartup(undefined);
    return status;
  })();
  const port = await Promise.race([portKnown, exited.then(() => 0)]);
  const server: RunningServer = {
    url: `http://127.0.0.1:${port}`,
    process,
    logs,
    exited,
    startupDone: startupLine,
    async logged(match, seconds = 10) {
      const until = performance.now() + seconds * 1000;
      let ended = false;
      exited.then(() => (ended = true), () => (ended = true));
      for (;;) {
        const line = logs.find(match);
        if (line) return line;
        if (ended || performance.now() > until) {
          throw new Error(
            `no such log line ${ended ? "before the server exited" : `within ${seconds} s`}: ` +
              JSON.stringify(logs.slice(-20)),
          );
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async stop() {
      try {
        process.kill("SIGTERM");
      } catch { /* already gone */ }
      await exited;
      await stderr;
    },
  };
  if (!port) {
    await stderr;
    throw new Error(`server exited before listening: ${JSON.stringify(logs)}`);
  }
  if (waitReady) {
    for (let i = 0; i < 200; i++) {
      const res = await fetch(`${server.url}/ping`).catch(() => undefined);
      await res?.body?.cancel();
      if (res?.status === 200) {
        ready = true;
        return server;
      }
      const done = await Promise.race([
        exited.then(() => true),
        new Promise((r) => setTimeout(() => r(false), 25)),
      ]);
      if (done) throw new Error(`server exited: ${JSON.stringify(logs)}`);
    }
    await server.stop();
    throw new Error("server did not become ready");
  }
  return server;
}
