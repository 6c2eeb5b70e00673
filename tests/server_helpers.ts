/** Test helpers around the real server. */

export { type RunningServer, startServer } from "../container/launch.ts";
import type { RunningServer } from "../container/launch.ts";

/** POSTs a body to /invocations. */
export async function invoke(
  server: RunningServer,
  body: string | Uint8Array,
  contentType = "application/json",
  headers: Record<string, string> = {},
): Promise<{ status: number; type: string | null; text: string; headers: Headers }> {
  const res = await fetch(`${server.url}/invocations`, {
    method: "POST",
    headers: { "content-type": contentType, ...headers },
    body: body as BodyInit,
  });
  return {
    status: res.status,
    type: res.headers.get("content-type"),
    text: await res.text(),
    headers: res.headers,
  };
}
