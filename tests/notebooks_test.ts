/** The notebook tooling: the display helpers and the Jupyter runner, with the real kernel. */

import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "nodejs-polars";
import { closeBrowser } from "../src/notebook/browser.ts";
import { plot, table } from "../src/notebook/display.ts";
import { codeNotebook as notebook, withTempDir } from "./helpers.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const DISPLAY = Symbol.for("Jupyter.display");

Deno.test("display: a DataFrame shows its shape, dtypes and first rows", () => {
  const df = pl.DataFrame({ name: ["a", "b", "c"], value: [1.5, 2.25, 3] });
  const bundle = (table(df, 2) as unknown as Record<symbol, () => Record<string, string>>)
    [DISPLAY]();
  assert.match(bundle["text/html"], /shape: \(3, 2\), first 2 rows/);
  assert.match(bundle["text/html"], /<td><i>Float64<\/i><\/td>/);
  assert.match(
    bundle["text/plain"],
    /^shape: \(3, 2\), first 2 rows\nname\s+value\nString\s+Float64\na\s+1\.5\nb\s+2\.25$/,
  );
  assert.doesNotMatch(bundle["text/html"], /<td>c<\/td>/);
});

Deno.test("display: a figure is the plotly MIME type plus a stable PNG, no HTML", async () => {
  try {
    const figure = {
      data: [{ type: "bar", x: ["a", "b"], y: [1, 2] }],
      layout: { title: { text: "t" } },
    };
    const first = await plot(figure, 400, 300);
    const again = await plot(figure, 400, 300);
    const bundle = (first as unknown as Record<symbol, () => Record<string, unknown>>)[DISPLAY]();
    assert.deepEqual(Object.keys(bundle).sort(), ["application/vnd.plotly.v1+json", "image/png"]);
    const png = Uint8Array.from(atob(first.png), (c) => c.charCodeAt(0));
    assert.deepEqual([...png.slice(1, 4)], [80, 78, 71]); // "PNG"
    const view = new DataView(png.buffer);
    assert.equal(view.getUint32(16), 400); // IHDR width
    assert.equal(view.getUint32(20), 300); // IHDR height
    assert.equal(first.png, again.png, "the same figure renders to the same bytes");
  } finally {
    await closeBrowser();
  }
});

Deno.test("runner: keeps every output, records errors and stops at the failing cell", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "probe.ipynb");
    await Deno.writeTextFile(
      path,
      JSON.stringify(notebook([
        'console.log("hello"); console.error("\\u001b[31mred\\u001b[0m")',
        '({ [Symbol.for("Jupyter.display")]: () => ({ "text/plain": "shown" }) })',
        'await new Promise((r) => setTimeout(r, 50)); throw new Error("boom")',
        'console.log("never")',
      ])),
    );
    const run = await new Deno.Command("/usr/bin/python3", {
      args: [join(ROOT, "tools/run_notebooks.py"), path],
      env: { JUPYTER_PATH: join(ROOT, "notebooks/.kernel") },
    }).output();
    const stderr = new TextDecoder().decode(run.stderr);
    assert.equal(run.code, 1, stderr);
    assert.match(stderr, /probe\.ipynb: cell 3 failed: boom/);
    const cells = JSON.parse(await Deno.readTextFile(path)).cells;
    const text = (o: { text: string | string[] }) =>
      Array.isArray(o.text) ? o.text.join("") : o.text;
    assert.deepEqual(cells[0].outputs.map((o: { name: string }) => o.name).sort(), [
      "stderr",
      "stdout",
    ]);
    const stdout = cells[0].outputs.find((o: { name: string }) => o.name === "stdout");
    const errOut = cells[0].outputs.find((o: { name: string }) => o.name === "stderr");
    assert.equal(text(stdout), "hello\n");
    assert.equal(text(errOut), "red\n", "ANSI colour codes are stripped");
    assert.equal(cells[1].outputs[0].output_type, "execute_result");
    assert.equal(text({ text: cells[1].outputs[0].data["text/plain"] }), "shown");
    assert.equal(cells[2].outputs[0].output_type, "error");
    assert.match(cells[2].outputs[0].evalue, /boom/);
    assert.deepEqual(cells[3].outputs, []);
    assert.equal(cells[3].execution_count, null);
    assert.deepEqual(cells.slice(0, 3).map((c: { execution_count: number }) => c.execution_count), [
      1,
      2,
      3,
    ]);
  });
});

Deno.test("notebooks: every committed notebook was executed, with outputs and no errors", async () => {
  const names = [...Deno.readDirSync(join(ROOT, "notebooks"))].map((e) => e.name)
    .filter((n) => n.endsWith(".ipynb")).sort();
  assert.deepEqual(names, [
    "01-data-exploration.ipynb",
    "02-feature-engineering.ipynb",
    "03-predictive-modeling.ipynb",
    "04-serving.ipynb",
    "05-explanations.ipynb",
  ]);
  for (const name of names) {
    const nb = JSON.parse(await Deno.readTextFile(join(ROOT, "notebooks", name)));
    const code = nb.cells.filter((c: { cell_type: string }) => c.cell_type === "code");
    assert.ok(code.length >= 5, name);
    code.forEach(
      (c: { execution_count: number; outputs: { output_type: string }[] }, i: number) => {
        assert.equal(c.execution_count, i + 1, `${name} cell ${i + 1} was not executed in order`);
        assert.ok(
          c.outputs.every((o) => o.output_type !== "error"),
          `${name} cell ${i + 1} has an error`,
        );
      },
    );
    const images = code.flatMap((c: { outputs: { data?: Record<string, string> }[] }) =>
      c.outputs.filter((o) => o.data?.["image/png"])
    );
    if (name !== "04-serving.ipynb") assert.ok(images.length >= 3, `${name}: charts with PNGs`);
    assert.doesNotMatch(JSON.stringify(nb), /\\u001b\[|"text\/html":[^}]*plotly/);
  }
});
