/** The notebook tools' command lines: --help runs nothing; the unchanged check and its message. */

import assert from "node:assert/strict";
import { join } from "node:path";
import { withTempDir } from "./helpers.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

async function run(command: string, args: string[]) {
  const out = await new Deno.Command(command, { args, cwd: ROOT }).output();
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

Deno.test("deno task notebooks --help prints usage and executes no notebook", async () => {
  const before = await Deno.readTextFile(join(ROOT, "notebooks/01-data-exploration.ipynb"));
  const help = await run(Deno.execPath(), ["task", "notebooks", "--help"]);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^usage: deno task notebooks \[NOTEBOOK\.ipynb/);
  assert.doesNotMatch(help.stdout + help.stderr, /: ok \(/);
  const after = await Deno.readTextFile(join(ROOT, "notebooks/01-data-exploration.ipynb"));
  assert.equal(after, before);
});

Deno.test("notebooks:check --help, jupyter --help and the probe's --help print usage", async () => {
  for (const task of ["notebooks:check", "jupyter"]) {
    const help = await run(Deno.execPath(), ["task", task, "--help"]);
    assert.equal(help.code, 0, `${task}: ${help.stderr}`);
    assert.match(help.stdout, /^Usage: deno task /m, task);
  }
  const probe = await run("/usr/bin/python3", [join(ROOT, "tools/kernel_probe.py"), "--help"]);
  assert.equal(probe.code, 0);
  assert.match(probe.stdout, /^Usage: /m);
});

function notebook(
  text: string | string[],
  cellMetadata: Record<string, unknown> = {},
  languageInfo: Record<string, unknown> = {},
) {
  return {
    cells: [{
      cell_type: "code",
      execution_count: 1,
      id: "a",
      metadata: cellMetadata,
      outputs: [{ output_type: "stream", name: "stdout", text }],
      source: "console.log(1)",
    }],
    metadata: { language_info: { name: "typescript", ...languageInfo } },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

Deno.test("unchanged check: what a UI save adds is no change; a changed output is named", async () => {
  await withTempDir(async (dir) => {
    const committed = join(dir, "committed.ipynb");
    const saved = join(dir, "saved.ipynb");
    await Deno.writeTextFile(committed, JSON.stringify(notebook("one\ntwo\n")));
    await Deno.writeTextFile(
      saved,
      JSON.stringify(
        notebook(["one\n", "two\n"], { scrolled: true, trusted: true }, { version: "6.0.3" }),
      ),
    );
    const check = [join(ROOT, "tools/notebooks_unchanged.py"), "--against", committed];
    const same = await run("/usr/bin/python3", [...check, saved]);
    assert.equal(same.code, 0, same.stderr);

    await Deno.writeTextFile(saved, JSON.stringify(notebook("one\nthree\n")));
    const changed = await run("/usr/bin/python3", [...check, saved]);
    assert.equal(changed.code, 1);
    assert.match(
      changed.stderr,
      /cell 1 \(In \[1\]\) outputs\[0\]\.text: line 2, column 2: committed "two", now "three"/,
    );
  });
});

Deno.test("deno task jupyter: serves the notebooks on 127.0.0.1 with the project's kernel", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const jupyter = new Deno.Command(Deno.execPath(), {
    args: ["task", "jupyter", "--port", String(port)],
    cwd: ROOT,
    env: { TITANIC_DATA_DIR: "../shared/data/titanic" },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = jupyter.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let printed = "";
  try {
    while (!/Ctrl-C stops it/.test(printed)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`deno task jupyter ended:\n${printed}`);
      printed += value;
    }
    const url = /http:\/\/127\.0\.0\.1:\d+\/tree\?token=\w+/.exec(printed)?.[0];
    assert.ok(url, printed);
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /01-data-exploration\.ipynb|Notebook/);
    const token = new URL(url).searchParams.get("token");
    const specs = await (await fetch(`http://127.0.0.1:${port}/api/kernelspecs?token=${token}`))
      .json();
    assert.equal(specs.default, "deno");
    const spec = specs.kernelspecs.deno.spec;
    assert.match(spec.argv.join(" "), /serial_kernel\.py \{connection_file\}$/);
    assert.equal(spec.env.NO_COLOR, "1");
    const dataDir = /TITANIC_DATA_DIR for the kernels: (\S+)/.exec(printed)?.[1];
    assert.equal(dataDir, join(ROOT, "..", "shared", "data", "titanic"), "absolute");
    const unauthorised = await fetch(`http://127.0.0.1:${port}/api/kernelspecs`);
    await unauthorised.body?.cancel();
    assert.equal(unauthorised.status, 403, "the API needs the printed token");
  } finally {
    jupyter.kill("SIGINT");
    await reader.cancel().catch(() => {});
  }
  const status = await jupyter.status;
  assert.equal(status.code, 0);
});
