/**
 * Slow clients against the real server (container/connections.ts, app.ts): half-sent headers
 * and idle connections are closed after HEADER_TIMEOUT_SECONDS, bodies slower than
 * BODY_MIN_RATE_KB get 408, connections past MAX_CONNECTIONS get a JSON 503 (health checks
 * answered), and the server goes on serving others meanwhile.
 */
import assert from "node:assert/strict";
import { invoke, type RunningServer, startServer } from "./server_helpers.ts";

const encoder = new TextEncoder();
const ONE = JSON.stringify({ Pclass: 1, Sex: "female" });

async function connect(server: RunningServer): Promise<Deno.TcpConn> {
  const { hostname, port } = new URL(server.url);
  return await Deno.connect({ hostname, port: Number(port) });
}

/** Everything the server sends until it closes the connection (or `limitMs` pass: null). */
async function readUntilClosed(conn: Deno.Conn, limitMs = 20_000): Promise<string | null> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(4096);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<"expired">((r) => (timer = setTimeout(() => r("expired"), limitMs)));
  try {
    while (true) {
      const n = await Promise.race([conn.read(buffer).catch(() => null), expired]);
      if (n === "expired") return null;
      if (n === null) break;
      chunks.push(buffer.slice(0, n));
    }
  } finally {
    clearTimeout(timer);
  }
  return new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
}

/** One whole HTTP/1.1 answer on a kept-alive connection: its status line. */
async function request(conn: Deno.Conn, text: string): Promise<string> {
  await conn.write(encoder.encode(text));
  const buffer = new Uint8Array(65536);
  let got = "";
  while (!/\r\n\r\n/.test(got) || !answerComplete(got)) {
    const n = await conn.read(buffer);
    if (n === null) throw new Error(`closed after ${JSON.stringify(got)}`);
    got += new TextDecoder().decode(buffer.subarray(0, n));
  }
  return got.split("\r\n")[0];
}

function answerComplete(text: string): boolean {
  const [head, body] = text.split("\r\n\r\n");
  const length = /content-length: (\d+)/i.exec(head);
  return length ? new TextEncoder().encode(body).length >= Number(length[1]) : true;
}

const post = (body: string, extra = "") =>
  `POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${extra}` +
  `Content-Length: ${encoder.encode(body).length}\r\n\r\n${body}`;

Deno.test("slow clients: half-sent first headers are cut after the header timeout, idle keep-alives after the keep-alive timeout", async () => {
  const server = await startServer([], {
    HEADER_TIMEOUT_SECONDS: "1",
    KEEPALIVE_TIMEOUT_SECONDS: "4",
  });
  try {
    const halfHeaders = await connect(server);
    await halfHeaders.write(encoder.encode("GET /ping HTTP/1.1\r\nHost: x\r\n"));
    const silent = await connect(server);
    // A kept-alive connection stays usable with pauses longer than the header timeout (but
    // shorter than the keep-alive timeout) between its requests.
    const keptAlive = await connect(server);
    for (let i = 0; i < 3; i++) {
      assert.equal(await request(keptAlive, post(ONE)), "HTTP/1.1 200 OK");
      await new Promise((r) => setTimeout(r, 1500));
    }
    // The two slow new ones were cut by the server meanwhile, without an answer.
    assert.equal(await readUntilClosed(halfHeaders, 500), "");
    assert.equal(await readUntilClosed(silent, 500), "");
    // And the kept-alive one, once idle for the keep-alive timeout.
    assert.equal(await readUntilClosed(keptAlive), "");
    for (const c of [halfHeaders, silent, keptAlive]) c.close();
    assert.equal((await invoke(server, ONE)).status, 200);
  } finally {
    await server.stop();
  }
});

/** Sends headers declaring `length` bytes of CSV, then trickles rows until the server answers. */
async function trickledAnswer(server: RunningServer, length: number): Promise<string | null> {
  const conn = await connect(server);
  await conn.write(encoder.encode(
    "POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n" +
      `Content-Length: ${length}\r\n\r\nPclass,Sex\n`,
  ));
  // 7 bytes every 100 ms: 70 B/s, far under 1 KB/s.
  const trickle = setInterval(() => conn.write(encoder.encode("3,male\n")).catch(() => {}), 100);
  const answer = await readUntilClosed(conn);
  clearInterval(trickle);
  conn.close();
  return answer;
}

const errorOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4));

Deno.test("slow clients: a body slower than BODY_MIN_RATE_KB gets 408, one read whole past the header timeout too, a quick one is served", async () => {
  const server = await startServer([], { HEADER_TIMEOUT_SECONDS: "1", BODY_MIN_RATE_KB: "1" });
  try {
    // Past 256 KB the body is read as it arrives: the minimum rate applies.
    const [streamed, whole] = await Promise.all([
      trickledAnswer(server, 300_000),
      trickledAnswer(server, 100_000),
    ]);
    assert.ok(streamed, "the server never answered the trickled body");
    assert.match(streamed, /^HTTP\/1\.1 408 /);
    const slow = errorOf(streamed);
    assert.equal(slow.error, "request_timeout");
    assert.match(slow.message, /arrives too slowly: [1-9]\d* bytes in [\d.]+ s, under 1 KB\/s/);
    // Up to 256 KB it is read in one piece, which must arrive within the header timeout.
    assert.ok(whole, "the server never answered the trickled small body");
    assert.match(whole, /^HTTP\/1\.1 408 /);
    const late = errorOf(whole);
    assert.equal(late.error, "request_timeout");
    assert.match(
      late.message,
      /^the body \(100000 bytes\) did not arrive within 1 s: a body up to 256 KB/,
    );
    // A whole body sent at once is not affected.
    const big = JSON.stringify(Array.from({ length: 2000 }, () => JSON.parse(ONE)));
    assert.equal((await invoke(server, big)).status, 200);
  } finally {
    await server.stop();
  }
});

Deno.test("slow clients: past MAX_CONNECTIONS a connection gets a JSON 503, a health check its health", async () => {
  // One unit, so that every connection counts against the same cap.
  const server = await startServer([], {
    SAGEMAKER_MODEL_SERVER_WORKERS: "1",
    MAX_CONNECTIONS: "3",
  });
  try {
    const held = await Promise.all([0, 1, 2].map(() => connect(server)));
    // The server counts a connection once it has accepted it: wait until the cap is reached.
    let refused = "";
    for (let i = 0; i < 100 && !refused.startsWith("HTTP/1.1 503"); i++) {
      const extra = await connect(server);
      await extra.write(encoder.encode(post(ONE, "Connection: close\r\n")));
      refused = (await readUntilClosed(extra)) ?? "";
      extra.close();
    }
    assert.match(refused, /^HTTP\/1\.1 503 /);
    assert.match(refused, /\r\nretry-after: 1\r\n/i);
    const body = JSON.parse(refused.slice(refused.indexOf("\r\n\r\n") + 4));
    assert.equal(body.error, "too_many_connections");
    const ping = await connect(server);
    await ping.write(encoder.encode("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert.match((await readUntilClosed(ping)) ?? "", /^HTTP\/1\.1 200 /);
    ping.close();
    // Room again once the held connections go.
    for (const c of held) c.close();
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await invoke(server, ONE)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(status, 200);
  } finally {
    await server.stop();
  }
});

Deno.test("slow clients: a body declared over SAGEMAKER_MAX_PAYLOAD_IN_MB gets 413 and its connection is closed, the body unread", async () => {
  // Keep-alives last far longer than the wait below: only the 413 can close the connection.
  const server = await startServer([], { KEEPALIVE_TIMEOUT_SECONDS: "300" });
  try {
    for (const expect of ["", "Expect: 100-continue\r\n"]) {
      const conn = await connect(server);
      const head = "POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
        `${expect}Content-Length: 200000000\r\n\r\n`;
      await conn.write(encoder.encode(head));
      // A client without Expect sends on; the server must not wait for 200 MB.
      if (!expect) await conn.write(encoder.encode("[".repeat(65536))).catch(() => {});
      const answer = await readUntilClosed(conn, 10_000);
      conn.close();
      assert.ok(answer !== null, `${expect || "no Expect"}: the connection was left open`);
      const final = answer.slice(answer.indexOf("HTTP/1.1 4"));
      assert.match(final, /^HTTP\/1\.1 413 /);
      assert.match(final, /\r\nconnection: close\r\n/i);
      assert.match(final, /"error":"payload_too_large"/);
    }
    assert.equal((await invoke(server, ONE)).status, 200);
  } finally {
    await server.stop();
  }
});
