/**
 * Starts Jupyter (Debian's classic Notebook, or JupyterLab when asked and installed) on
 * 127.0.0.1 over `notebooks/`, with the project's kernelspec (`notebooks/.kernel`: the Deno
 * kernel behind its one-request-at-a-time launcher) and an absolute TITANIC_DATA_DIR, since the
 * kernel's working directory is the notebook's folder. Used by `deno task jupyter` and the
 * browser test.
 * @module
 */

import { join, resolve } from "node:path";
import { PROJECT_ROOT } from "../util/fs.ts";

export interface JupyterOptions {
  port: number;
  /** JupyterLab instead of the classic Notebook. */
  lab?: boolean;
  /**
   * Where Jupyter's log (with its kernels' stderr, which they inherit) goes: this process's
   * stderr (the default), nowhere, or a temporary file (`RunningJupyter.logFile`).
   */
  log?: "inherit" | "null" | "file";
  /** Jupyter's log level; DEBUG also tells why and how a kernel was stopped. */
  logLevel?: "DEBUG" | "INFO" | "WARN";
}

export interface RunningJupyter {
  /** The page to open, token included. */
  url: string;
  /** http://127.0.0.1:PORT */
  origin: string;
  token: string;
  /** TITANIC_DATA_DIR as the kernels see it (undefined: the cache, else a download). */
  dataDir?: string;
  process: Deno.ChildProcess;
  /** The log file with `log: "file"`; complete once `stop()` resolved. */
  logFile?: string;
  stop(): Promise<void>;
}

/** The executable `name` on PATH, or undefined. */
export function onPath(name: string): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":").filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      if (Deno.statSync(candidate).isFile) return candidate;
    } catch { /* not here */ }
  }
  return undefined;
}

function isDataDir(dir: string): boolean {
  try {
    return Deno.statSync(join(dir, "train.csv")).isFile;
  } catch {
    return false;
  }
}

/**
 * TITANIC_DATA_DIR made absolute (a relative one is taken from the project root, as `deno task`
 * runs there); unset, the shared data folder beside the clone when it has the CSVs (as in CI).
 */
export function kernelDataDir(given = Deno.env.get("TITANIC_DATA_DIR")): string | undefined {
  if (given) return resolve(PROJECT_ROOT, given);
  const shared = resolve(PROJECT_ROOT, "..", "shared", "data", "titanic");
  return isDataDir(shared) ? shared : undefined;
}

/** The Jupyter executable and arguments for the chosen front end; throws when not installed. */
function command(options: JupyterOptions): { executable: string; args: string[]; page: string } {
  const name = options.lab ? "jupyter-lab" : "jupyter-notebook";
  const executable = onPath(name);
  if (!executable) {
    throw new Error(
      options.lab
        ? "JupyterLab is not installed (Debian 12 does not package it): `pip install jupyterlab`, " +
          "or run `deno task jupyter` without --lab for the classic Notebook"
        : "the classic Notebook is not installed: run `bash .ci/setup` " +
          "(apt-get install jupyter-notebook)",
    );
  }
  const args = [
    "--no-browser",
    "--ip=127.0.0.1",
    `--port=${options.port}`,
    "--port-retries=0",
    `--notebook-dir=${join(PROJECT_ROOT, "notebooks")}`,
    "--MappingKernelManager.default_kernel_name=deno",
    ...(options.logLevel ? [`--log-level=${options.logLevel}`] : []),
  ];
  // Jupyter refuses to run as root without it (containers, CI).
  if (Deno.uid() === 0) args.push("--allow-root");
  return { executable, args, page: options.lab ? "lab" : "tree" };
}

/** Starts Jupyter and resolves once its API answers. */
export async function startJupyter(options: JupyterOptions): Promise<RunningJupyter> {
  const { executable, args, page } = command(options);
  const token = crypto.randomUUID().replaceAll("-", "");
  const dataDir = kernelDataDir();
  const kernelspecs = join(PROJECT_ROOT, "notebooks", ".kernel");
  const inherited = Deno.env.get("JUPYTER_PATH");
  const env: Record<string, string> = {
    JUPYTER_PATH: inherited ? `${kernelspecs}:${inherited}` : kernelspecs,
    JUPYTER_TOKEN: token,
    NO_COLOR: "1",
    ...(dataDir ? { TITANIC_DATA_DIR: dataDir } : {}),
  };
  const logFile = options.log === "file"
    ? await Deno.makeTempFile({ prefix: "titanic-jupyter-", suffix: ".log" })
    : undefined;
  const output = options.log === "file" ? "piped" : options.log ?? "inherit";
  const process = new Deno.Command(executable, {
    args,
    env,
    cwd: join(PROJECT_ROOT, "notebooks"),
    stdin: "null",
    stdout: output,
    stderr: output,
  }).spawn();
  let exited = false;
  process.status.then(() => exited = true);
  // A kernel that outlived Jupyter would hold the pipes open: give up on them shortly after.
  const abandon = new AbortController();
  const logged = logFile
    ? appendTo(logFile, abandon.signal, process.stdout, process.stderr)
    : Promise.resolve();
  const origin = `http://127.0.0.1:${options.port}`;
  const stop = async () => {
    if (!exited) {
      process.kill("SIGTERM"); // Jupyter shuts its kernels down on SIGTERM
      const timer = setTimeout(() => {
        if (!exited) process.kill("SIGKILL");
      }, 15_000);
      await process.status;
      clearTimeout(timer);
    }
    const timer = setTimeout(() => abandon.abort(), 5_000);
    await logged;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 60_000;
  while (true) {
    if (exited) {
      const status = await process.status;
      throw new Error(`Jupyter exited with status ${status.code} before it answered`);
    }
    try {
      const response = await fetch(`${origin}/api`);
      await response.body?.cancel();
      if (response.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Jupyter did not answer on ${origin} within 60 s`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url: `${origin}/${page}?token=${token}`,
    origin,
    token,
    dataDir,
    process,
    logFile,
    stop,
  };
}

/**
 * Copies each stream to the end of `path` as it comes (a test reads the file while Jupyter runs;
 * pipeTo would hold the bytes back), until the stream ends or `signal` aborts.
 */
async function appendTo(
  path: string,
  signal: AbortSignal,
  ...streams: ReadableStream<Uint8Array>[]
): Promise<void> {
  await Promise.all(streams.map(async (stream) => {
    const file = await Deno.open(path, { append: true });
    const reader = stream.getReader();
    const cancel = () => reader.cancel().catch(() => {});
    signal.addEventListener("abort", cancel, { once: true });
    try {
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        for (let written = 0; written < value.length;) {
          written += await file.write(value.subarray(written));
        }
      }
    } catch {
      /* cancelled */
    } finally {
      signal.removeEventListener("abort", cancel);
      file.close();
    }
  }));
}
