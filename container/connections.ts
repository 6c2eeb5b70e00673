/**
 * The connections of one serving unit, accepted here instead of by `Deno.serve`, so that the
 * unit can bound them (Deno.serve has neither bound, denoland/deno#3515):
 * - a header timeout: a new connection whose first request has not arrived (headers complete)
 *   `headerTimeoutMs` after it opened is cut: half-sent headers, or none at all;
 * - a keep-alive timeout: a connection idle `keepAliveTimeoutMs` after its last answer is cut.
 *   From here a client trickling the headers of its next request cannot be told from an idle
 *   one, so that one gets the keep-alive timeout, not the header timeout;
 * - a cap on open connections: past `maxConnections`, a new connection gets a JSON 503 with
 *   Retry-After and is closed, except health checks, which are answered (a shedding server is
 *   healthy).
 * Each admitted connection is served by Deno's own HTTP engine (hyper, what Deno.serve runs)
 * through its per-connection entry point, `serveHttpOnConnection`. That entry point is internal
 * to Deno; Deno is pinned exactly (2.9.6), and {@link serveConnections} refuses to start when it
 * is missing rather than serve without the bounds.
 * @module
 */

import { deadlines } from "./deadlines.ts";

/** The bounds of one unit's connections. */
export interface ConnectionLimits {
  /** Open connections at once. */
  maxConnections: number;
  /** A new connection's first request must have arrived (headers complete) by then, in ms. */
  headerTimeoutMs: number;
  /** A connection idle this many ms after its last answer is closed. */
  keepAliveTimeoutMs: number;
}

type ServeOnConnection = (
  conn: Deno.Conn,
  signal: AbortSignal,
  handler: (req: Request) => Response | Promise<Response>,
  onError: (error: unknown) => Response | Promise<Response>,
  onListen: () => void,
) => { finished: Promise<void>; shutdown(): Promise<void> };

function serveOnConnection(): ServeOnConnection {
  const internals = (Deno as unknown as Record<symbol, Record<string, unknown>>)[
    (Deno as unknown as { internal: symbol }).internal
  ];
  const serve = internals?.serveHttpOnConnection;
  if (typeof serve !== "function") {
    throw new Error(
      `this Deno (${Deno.version.deno}) has no serveHttpOnConnection: run the pinned Deno`,
    );
  }
  return serve as ServeOnConnection;
}

/** A unit's listener. */
export interface Connections {
  readonly addr: Deno.NetAddr;
  /** Connections open now. */
  readonly open: number;
  /** Stops accepting, then closes every connection (after the handler has drained). */
  shutdown(): Promise<void>;
}

export interface ServeConnectionsOptions {
  hostname: string;
  port: number;
  reusePort: boolean;
  limits: ConnectionLimits;
  handler: (req: Request) => Promise<Response>;
  /** The /ping answer given to a connection past the cap. */
  health: () => { status: number; body: string };
  onError: (error: unknown) => Response;
}

const encoder = new TextEncoder();

/** A whole HTTP/1.1 answer that closes the connection, for a connection never handed to hyper. */
function rawAnswer(status: number, reason: string, body: string, extra = ""): Uint8Array {
  const type = body ? "content-type: application/json\r\n" : "";
  return encoder.encode(
    `HTTP/1.1 ${status} ${reason}\r\n${type}${extra}` +
      `content-length: ${encoder.encode(body).length}\r\nconnection: close\r\n\r\n${body}`,
  );
}

const TOO_MANY = JSON.stringify({
  error: "too_many_connections",
  message: "the server has as many connections open as it takes; retry shortly",
});

/** How long an answer that closes its connection has to go out before the connection is cut. */
const CLOSING_ANSWER_MS = 2000;

/** How long shutdown waits for connections to finish their answers. */
const LINGER_MS = 5000;

/** How long a refused connection may take to show its request line (to find health checks). */
const REFUSED_READ_MS = 1000;

/**
 * Answers a connection past the cap without hyper: its first bytes are read (briefly) so that
 * a health check gets the health, anything else a 503; then the connection is closed.
 */
async function refuse(conn: Deno.Conn, health: ServeConnectionsOptions["health"]) {
  const buffer = new Uint8Array(256);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const read = await Promise.race([
      conn.read(buffer),
      new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), REFUSED_READ_MS))),
    ]);
    const line = new TextDecoder().decode(buffer.subarray(0, read ?? 0));
    const answer = /^(GET|HEAD) \/ping[ ?]/.test(line)
      ? (({ status, body }) =>
        rawAnswer(status, status === 200 ? "OK" : "Service Unavailable", body))(health())
      : rawAnswer(503, "Service Unavailable", TOO_MANY, "retry-after: 1\r\n");
    await conn.write(answer);
    await conn.closeWrite();
  } catch {
    /* the client is gone */
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed already */ }
  }
}

/** Listens and serves every connection within `limits`. */
export function serveConnections(options: ServeConnectionsOptions): Connections {
  const serveOn = serveOnConnection();
  const { limits, handler } = options;
  const listener = Deno.listen({
    hostname: options.hostname,
    port: options.port,
    reusePort: options.reusePort,
  });
  const open = new Set<{ close(): void; finished: Promise<void> }>();
  let accepting = true;

  const serveOne = (conn: Deno.Conn) => {
    let inProgress = 0;
    let closing = false;
    // Once hyper is done with the connection, nothing may touch it again: a handler finishing
    // after the client left must not start a timer, and Deno throws (uncaught, from the signal's
    // listener) when a finished connection's signal is aborted.
    let ended = false;
    // The timeouts cut the connection: nothing of it is in progress here (half-sent headers, an
    // idle keep-alive, or a client still sending a body after its 503). Deno refuses
    // a cut after a graceful shutdown has begun, so the two never meet.
    const abort = new AbortController();
    const cut = () => {
      if (closing || ended) return;
      closing = true;
      abort.abort();
    };
    const timeout = deadlines.watch(cut);
    const arm = (ms: number) => {
      timeout.at = ended || closing ? Infinity : performance.now() + ms;
    };
    // At shutdown: hyper's graceful shutdown finishes answers being written and closes
    // connections part-way through their headers at once.
    const close = () => {
      timeout.at = Infinity;
      if (closing || ended) return;
      closing = true;
      served.shutdown().catch(() => {});
    };
    arm(limits.headerTimeoutMs);
    const handle = async (req: Request) => {
      inProgress++;
      timeout.at = Infinity;
      let closes = false;
      try {
        const response = await handler(req);
        closes = response.headers.get("connection") === "close";
        return response;
      } finally {
        // An answer that closes the connection (a 503 before the body, a 408) is sent at once;
        // a client still sending the body nobody reads is cut shortly after, not kept alive.
        if (--inProgress === 0 && !closing) {
          arm(closes ? CLOSING_ANSWER_MS : limits.keepAliveTimeoutMs);
        }
      }
    };
    const served = serveOn(conn, abort.signal, handle, options.onError, () => {});
    const entry = {
      close,
      // A connection reset by the client rejects `finished`: that ends the connection, nothing
      // more.
      finished: served.finished.catch(() => {}).finally(() => {
        ended = true;
        timeout.cancel();
        open.delete(entry);
      }),
    };
    open.add(entry);
  };

  const accepted = (async () => {
    while (accepting) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (err) {
        if (!accepting || err instanceof Deno.errors.BadResource) return;
        // Out of file descriptors and the like: wait a moment instead of spinning.
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      if (open.size >= limits.maxConnections) refuse(conn, options.health);
      else {
        // Answers go out as soon as they are written (as Deno.serve's do), not after Nagle's wait.
        (conn as Deno.TcpConn).setNoDelay?.(true);
        serveOne(conn);
      }
    }
  })();

  return {
    addr: listener.addr as Deno.NetAddr,
    get open() {
      return open.size;
    },
    async shutdown() {
      accepting = false;
      try {
        listener.close();
      } catch { /* closed already */ }
      await accepted;
      for (const entry of open) entry.close();
      // One still open LINGER_MS later is a client still sending a body nobody reads: the
      // process may end without it.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all([...open].map((entry) => entry.finished)),
        new Promise((resolve) => (timer = setTimeout(resolve, LINGER_MS))),
      ]);
      clearTimeout(timer);
    },
  };
}
