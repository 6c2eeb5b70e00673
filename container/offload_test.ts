import assert from "node:assert/strict";

Deno.test("offload: a stopped Worker gives its session's memory back (no growth over rounds)", async () => {
  // In a process of its own, so that other test files' memory does not move its resident set.
  // Each round starts an offload Worker, answers a 6 MB CSV on it and stops it; an ended
  // isolate does not run the session's finalizer, so without the release every round kept
  // about 15 MB (measured 113, 128, 146, 159 MB).
  const script = `
    import { startOffload } from "${new URL("./offload.ts", import.meta.url)}";
    import { releaseIdleMemory, residentMb } from "${new URL("./memory.ts", import.meta.url)}";
    const model = "${new URL("../models/titanic.onnx", import.meta.url).pathname}";
    const [header, ...rows] = Deno.readTextFileSync(
      "${new URL("./examples/passengers.csv", import.meta.url).pathname}").trim().split("\\n");
    const lines = [header];
    for (let size = 0, i = 0; size < 6e6; i++) {
      lines.push(rows[i % rows.length]);
      size += rows[i % rows.length].length + 1;
    }
    const body = new TextEncoder().encode(lines.join("\\n") + "\\n");
    const rss = [];
    for (let round = 0; round < 4; round++) {
      const offload = startOffload(model, 1);
      const answered = await offload.answer(body.slice(), "text/csv", "text/csv");
      if (answered.records !== lines.length - 1) throw new Error("records " + answered.records);
      await offload.stop();
      await new Promise((r) => setTimeout(r, 300));
      releaseIdleMemory();
      rss.push(residentMb());
    }
    console.log(JSON.stringify(rss));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--v8-flags=--expose-gc", script],
    env: { ORT_DISABLE_TELEMETRY: "1" },
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const rss: number[] = JSON.parse(new TextDecoder().decode(out.stdout));
  const growth = rss[3] - rss[0];
  assert.ok(growth < 15, `resident set after each round: ${rss.map(Math.round).join(", ")} MB`);
});
