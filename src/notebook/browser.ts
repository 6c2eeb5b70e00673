/**
 * A kept headless Chromium (Debian's) driven over the DevTools protocol, with plotly.js loaded
 * once, to render figures to PNG in tens of milliseconds. No npm browser download is needed.
 * @module
 */

import { PROJECT_ROOT } from "../util/fs.ts";

const CHROMIUM_CANDIDATES = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
];

interface Pending {
  resolve: (value: Record<string, unknown>) => void;
  reject: (err: Error) => void;
}

/** One page in a headless browser with plotly.js loaded. */
class PlotlyPage {
  #nextId = 1;
  #pending = new Map<number, Pending>();

  /** The page's DevTools session; empty while talking to the browser itself. */
  #sessionId = "";

  private constructor(
    readonly process: Deno.ChildProcess,
    readonly socket: WebSocket,
    readonly profile: string,
  ) {
    socket.onmessage = (event) => this.#receive(JSON.parse(String(event.data)));
  }

  static async start(): Promise<PlotlyPage> {
    const executable = Deno.env.get("CHROMIUM") ??
      CHROMIUM_CANDIDATES.find((path) => {
        try {
          return Deno.statSync(path).isFile;
        } catch {
          return false;
        }
      });
    if (!executable) {
      throw new Error(
        "no Chromium found for rendering PNG figures: apt-get install chromium (or set CHROMIUM)",
      );
    }
    const profile = await Deno.makeTempDir({ prefix: "titanic-chromium-" });
    const process = new Deno.Command(executable, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--font-render-hinting=none",
        `--user-data-dir=${profile}`,
        "--remote-debugging-port=0",
        "about:blank",
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const url = await devtoolsUrl(process.stderr);
    const socket = new WebSocket(url);
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = () => reject(new Error(`cannot connect to Chromium at ${url}`));
    });
    const page = new PlotlyPage(process, socket, profile);
    const { targetId } = await page.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await page.send("Target.attachToTarget", { targetId, flatten: true });
    page.#sessionId = String(sessionId);
    const plotly = await Deno.readTextFile(`${PROJECT_ROOT}/node_modules/plotly.js-dist/plotly.js`);
    await page.evaluate(`${plotly}\n;typeof Plotly`);
    return page;
  }

  #receive(
    message: { id?: number; result?: Record<string, unknown>; error?: { message: string } },
  ) {
    if (message.id === undefined) return;
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    this.#pending.delete(message.id);
    if (message.error) pending.reject(new Error(`Chromium: ${message.error.message}`));
    else pending.resolve(message.result ?? {});
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.#nextId++;
    const message = {
      id,
      method,
      params,
      ...(this.#sessionId ? { sessionId: this.#sessionId } : {}),
    };
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.socket.send(JSON.stringify(message));
    });
  }

  /** Evaluates an expression in the page, awaiting promises; returns its JSON value. */
  async evaluate(expression: string): Promise<unknown> {
    const result = await this.send("Runtime.evaluate", {
      expression,
      awaitPromise: true,
      returnByValue: true,
    }) as {
      result?: { value?: unknown };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    if (result.exceptionDetails) {
      const d = result.exceptionDetails;
      throw new Error(`in Chromium: ${d.exception?.description ?? d.text}`);
    }
    return result.result?.value;
  }

  async close(): Promise<void> {
    try {
      this.socket.close();
      this.process.kill("SIGKILL");
      await this.process.status;
    } catch { /* already gone */ }
    await Deno.remove(this.profile, { recursive: true }).catch(() => {});
  }
}

async function devtoolsUrl(stderr: ReadableStream<Uint8Array>): Promise<string> {
  let text = "";
  const reader = stderr.pipeThrough(new TextDecoderStream()).getReader();
  const deadline = setTimeout(() => reader.cancel(), 20_000);
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(text);
      if (match) {
        // Keep draining stderr in the background so Chromium never blocks on it.
        (async () => {
          try {
            while (!(await reader.read()).done) { /* discard */ }
          } catch { /* closed */ }
        })();
        return match[1];
      }
    }
  } finally {
    clearTimeout(deadline);
  }
  throw new Error(`Chromium did not start: ${text.slice(-500)}`);
}

let page: Promise<PlotlyPage> | undefined;

/** Renders a plotly figure to PNG bytes (base64), at a fixed size so that output is stable. */
export async function renderPng(
  figure: { data: unknown[]; layout?: Record<string, unknown> },
  width: number,
  height: number,
): Promise<string> {
  page ??= PlotlyPage.start();
  const p = await page;
  const url = await p.evaluate(
    `Plotly.toImage(${
      JSON.stringify(figure)
    }, {format: "png", width: ${width}, height: ${height}})`,
  );
  return String(url).replace(/^data:image\/png;base64,/, "");
}

/**
 * Stops the browser. A script that rendered figures calls it before it ends (the open browser
 * keeps the process alive); in a notebook the kernel's exit stops it.
 */
export async function closeBrowser(): Promise<void> {
  if (page) {
    const p = await page;
    page = undefined;
    await p.close();
  }
}

globalThis.addEventListener("unload", () => {
  page?.then((p) => p.process.kill("SIGKILL")).catch(() => {});
});
