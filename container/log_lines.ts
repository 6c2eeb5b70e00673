/**
 * The server's per-request log lines (access log, EMF metrics) to stdout, a few together (an
 * event's line flushes them: serve.ts `log`). Each answer logs two lines, and console.log cost
 * 8-11 µs a line (to a pipe or /dev/null) where a single-record request costs 110-150 µs of CPU
 * in all: buffered, a line costs under 1 µs.
 * Lines wait at most {@link FLUSH_MS} and are written whole, in order, a write never over
 * {@link WRITE_BYTES} (a pipe's atomic size, so that two threads' writes do not interleave
 * within a line), and before the isolate exits: on Deno.exit or the end of the event loop
 * ("unload"), an uncaught error, or {@link flushLog}.
 * @module
 */

/** Longest wait of a line before it is written. */
export const FLUSH_MS = 5;
/** Largest write of several lines (PIPE_BUF on Linux): a longer line is written alone. */
export const WRITE_BYTES = 4096;

const encoder = new TextEncoder();

/** Writes all of `bytes` (a write may take part of them). */
function writeAllSync(bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length;) at += Deno.stdout.writeSync(bytes.subarray(at));
}

/** Lines held until one of the flushes; `write` gets whole lines, each ending in "\n". */
export class LineBuffer {
  #lines: string[] = [];
  #bytes = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly write: (text: string) => void,
    private readonly flushMs = FLUSH_MS,
    private readonly writeBytes = WRITE_BYTES,
  ) {}

  /** Queues `line` (without its newline). */
  add(line: string): void {
    // Bytes as UTF-16 units: exact for the ASCII the server logs, an overestimate otherwise.
    const bytes = line.length + 1;
    if (this.#bytes + bytes > this.writeBytes) this.flush();
    this.#lines.push(line);
    this.#bytes += bytes;
    if (this.#bytes >= this.writeBytes) this.flush();
    else if (this.#timer === undefined) {
      const timer = setTimeout(() => this.flush(), this.flushMs);
      Deno.unrefTimer(timer); // a pending line does not keep the process alive
      this.#timer = timer;
    }
  }

  /** Writes what is held now. */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#lines.length === 0) return;
    const text = this.#lines.join("\n") + "\n";
    this.#lines = [];
    this.#bytes = 0;
    this.write(text);
  }
}

const stdoutLines = new LineBuffer((text) => writeAllSync(encoder.encode(text)));
const flushNow = () => stdoutLines.flush();
// Deno.exit and a finished event loop dispatch "unload"; an uncaught error dispatches "error"
// (and "unhandledrejection") first, in the main thread and in a Worker.
globalThis.addEventListener("unload", flushNow);
globalThis.addEventListener("error", flushNow);
globalThis.addEventListener("unhandledrejection", flushNow);

/** Logs one line to stdout (buffered: see the module's note). */
export const logLine = (line: string): void => stdoutLines.add(line);

/** Writes the lines logged so far (before a Worker reports that it stopped, say). */
export const flushLog = flushNow;
