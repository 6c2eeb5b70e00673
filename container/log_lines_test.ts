import assert from "node:assert/strict";
import { LineBuffer, WRITE_BYTES } from "./log_lines.ts";

Deno.test("log lines: written in order and whole, several to a write but no write over the pipe's atomic size", () => {
  const writes: string[] = [];
  const buffer = new LineBuffer((text) => writes.push(text), 60_000);
  const lines = Array.from({ length: 40 }, (_, i) => `{"line":${i},"pad":"${"x".repeat(i * 7)}"}`);
  const long = "y".repeat(WRITE_BYTES + 500);
  for (const line of lines.slice(0, 30)) buffer.add(line);
  buffer.add(long);
  for (const line of lines.slice(30)) buffer.add(line);
  buffer.flush();
  assert.equal(
    writes.join(""),
    [...lines.slice(0, 30), long, ...lines.slice(30)].join("\n") + "\n",
  );
  assert.ok(writes.length < lines.length / 2, `${writes.length} writes for ${lines.length + 1}`);
  for (const text of writes) {
    assert.ok(text.endsWith("\n"));
    if (text.includes(long)) assert.equal(text, long + "\n"); // a line over the size goes alone
    else assert.ok(text.length <= WRITE_BYTES, `${text.length} bytes in one write`);
  }
});

Deno.test("log lines: a line waits only the flush delay, with no further line or call", async () => {
  const writes: string[] = [];
  const buffer = new LineBuffer((text) => writes.push(text), 5);
  buffer.add("one");
  buffer.add("two");
  assert.deepEqual(writes, []); // held, not written line by line
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(writes, ["one\ntwo\n"]);
});

const MODULE = new URL("./log_lines.ts", import.meta.url).href;

async function childOutput(ending: string) {
  const script = `
    import { logLine } from "${MODULE}";
    for (let i = 0; i < 3; i++) logLine(JSON.stringify({ line: i }));
    ${ending}`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    stdout: "piped",
    stderr: "null",
  }).output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}

Deno.test("log lines: nothing logged is lost when the process exits, throws or ends", async () => {
  const all = '{"line":0}\n{"line":1}\n{"line":2}\n';
  for (
    const [ending, code] of [
      ["Deno.exit(3);", 3],
      ['throw new Error("boom");', 1],
      ['await Promise.reject(new Error("boom"));', 1],
      ["", 0],
      ["await new Promise((r) => setTimeout(r, 50));", 0],
    ] as const
  ) {
    const out = await childOutput(ending);
    assert.equal(out.code, code, ending);
    assert.equal(out.stdout, all, ending);
  }
});
