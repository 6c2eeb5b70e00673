/**
 * Malformed HTTP on raw connections: whatever arrives, the server answers 4xx or closes the
 * connection, never 5xx, and goes on serving everyone else.
 */
import assert from "node:assert/strict";
import { invoke, startServer } from "./server_helpers.ts";

const ONE = JSON.stringify({ Pclass: 1, Sex: "female" });
const post = (headers: string, body = ONE) =>
  `POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${headers}\r\n${body}`;

const CASES: Record<string, string | Uint8Array> = {
  "binary junk": new Uint8Array(Array.from({ length: 512 }, (_, i) => (i * 37 + 11) % 256)),
  "empty line only": "\r\n\r\n",
  "no method": " /ping HTTP/1.1\r\nHost: x\r\n\r\n",
  "unknown method": "FROB /ping HTTP/1.1\r\nHost: x\r\n\r\n",
  "lower-case method": "get /ping HTTP/1.1\r\nHost: x\r\n\r\n",
  "no version": "GET /ping\r\nHost: x\r\n\r\n",
  "HTTP/0.9": "GET /ping\r\n\r\n",
  "HTTP/2.0 over text": "GET /ping HTTP/2.0\r\nHost: x\r\n\r\n",
  "HTTP/9.9": "GET /ping HTTP/9.9\r\nHost: x\r\n\r\n",
  "absolute URI": "GET http://x/ping HTTP/1.1\r\nHost: x\r\n\r\n",
  "asterisk target": "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
  "space in target": "GET /pi ng HTTP/1.1\r\nHost: x\r\n\r\n",
  "control character in target": "GET /pi\x01ng HTTP/1.1\r\nHost: x\r\n\r\n",
  "header without colon": "GET /ping HTTP/1.1\r\nHost x\r\n\r\n",
  "header name with space": "GET /ping HTTP/1.1\r\nHo st: x\r\n\r\n",
  "obsolete line folding": "GET /ping HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n",
  "NUL in header value": "GET /ping HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n",
  "bare LF line ends": "GET /ping HTTP/1.1\nHost: x\n\n",
  "bare CR": "GET /ping HTTP/1.1\rHost: x\r\r",
  "64 KB header": `GET /ping HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(65536)}\r\n\r\n`,
  "1000 headers": `GET /ping HTTP/1.1\r\nHost: x\r\n${
    Array.from({ length: 1000 }, (_, i) => `X-${i}: v`).join("\r\n")
  }\r\n\r\n`,
  "negative Content-Length": post("Content-Length: -5\r\n"),
  "non-numeric Content-Length": post("Content-Length: abc\r\n"),
  "two different Content-Lengths": post("Content-Length: 27\r\nContent-Length: 30\r\n"),
  "Content-Length list": post("Content-Length: 27, 30\r\n"),
  "huge Content-Length": post("Content-Length: 99999999999999999999\r\n"),
  "Content-Length shorter than body": post("Content-Length: 5\r\n"),
  "Content-Length and chunked": post(
    "Content-Length: 27\r\nTransfer-Encoding: chunked\r\n",
    `1b\r\n${ONE}\r\n0\r\n\r\n`,
  ),
  "unknown transfer coding": post("Transfer-Encoding: gzip\r\n"),
  "chunked, size not hex": post("Transfer-Encoding: chunked\r\n", `zz\r\n${ONE}\r\n0\r\n\r\n`),
  "chunked, size too big": post(
    "Transfer-Encoding: chunked\r\n",
    `ffffffffffffffffff\r\n${ONE}\r\n0\r\n\r\n`,
  ),
  "chunked, missing CRLF": post("Transfer-Encoding: chunked\r\n", `1b\r\n${ONE}0\r\n\r\n`),
  "chunked, negative size": post("Transfer-Encoding: chunked\r\n", `-1b\r\n${ONE}\r\n0\r\n\r\n`),
  "chunked, bad extension": post(
    "Transfer-Encoding: chunked\r\n",
    `1b;\x01\r\n${ONE}\r\n0\r\n\r\n`,
  ),
  "Expect: 100-continue unknown": post("Content-Length: 27\r\nExpect: 200-maybe\r\n"),
  "Upgrade to websocket":
    "GET /ping HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
  "h2c upgrade":
    "GET /ping HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n",
  "HTTP/2 preface": "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
  "TLS client hello": new Uint8Array([
    0x16,
    0x03,
    0x01,
    0x00,
    0xa5,
    0x01,
    0x00,
    0x00,
    0xa1,
    0x03,
    0x03,
  ]),
  "pipelined, second malformed": `GET /ping HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\r\n\r\n`,
  "body on GET /ping": "GET /ping HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
  "invalid UTF-8 body": post("Content-Length: 4\r\n", "\xff\xfe\xfd\xfc"),
};

Deno.test("malformed HTTP: every kind is answered 4xx or closed, never 5xx, and serving goes on", async () => {
  const server = await startServer();
  try {
    const { hostname, port } = new URL(server.url);
    const seen: Record<string, string> = {};
    for (const [name, request] of Object.entries(CASES)) {
      const conn = await Deno.connect({ hostname, port: Number(port) });
      const bytes = typeof request === "string"
        ? new Uint8Array([...request].map((c) => c.charCodeAt(0) & 0xff))
        : request;
      await conn.write(bytes).catch(() => {});
      await conn.closeWrite().catch(() => {});
      const answer = await readAll(conn);
      conn.close();
      const statuses = [...answer.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => m[1]);
      seen[name] = statuses.join(",") || "closed";
      assert.ok(statuses.every((s) => !s.startsWith("5")), `${name}: ${answer.slice(0, 300)}`);
    }
    // Every kind was met by an answer or a close; the server still serves.
    assert.equal((await invoke(server, ONE)).status, 200, JSON.stringify(seen));
  } finally {
    await server.stop();
  }
  // Read once the server has stopped: every line it wrote has been read by then.
  const errors = server.logs.filter((l) => l.level === "error" || l.level === "fatal");
  assert.deepEqual(errors, []);
});

/** What the server sends until it closes (each case's connection is half-closed by us). */
async function readAll(conn: Deno.Conn): Promise<string> {
  const buffer = new Uint8Array(65536);
  let text = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<null>((r) => (timer = setTimeout(() => r(null), 15_000)));
  try {
    while (true) {
      const n = await Promise.race([conn.read(buffer).catch(() => null), expired]);
      if (n === null) break;
      text += new TextDecoder("latin1").decode(buffer.subarray(0, n));
    }
  } finally {
    clearTimeout(timer);
  }
  return text;
}
