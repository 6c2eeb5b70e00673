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
  assert.match(help.stdout, /Usage: run_notebooks\.py NOTEBOOK\.ipynb/);
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
