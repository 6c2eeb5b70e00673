/** The GitHub Actions workflows: actionlint clean, and every `deno task` they run exists. */

import assert from "node:assert/strict";
import {
  actionlint,
  checkWorkflow,
  denoTasksRun,
  projectTasks,
  workflowFiles,
} from "../tools/lint_workflows.ts";

Deno.test("workflows: ci.yml and deploy.yml lint clean and run only existing tasks", async () => {
  const files = workflowFiles();
  assert.deepEqual(files.map((f) => f.split("/").pop()), ["ci.yml", "deploy.yml"]);
  const tasks = projectTasks();
  for (const file of files) {
    assert.deepEqual(await checkWorkflow(Deno.readTextFileSync(file), file, tasks), [], file);
  }
  const deployTasks = denoTasksRun(Deno.readTextFileSync(files[1])).map((t) => t.task);
  for (const task of ["push-image", "package", "register", "deploy", "approve", "invoke"]) {
    assert.ok(deployTasks.includes(task), `deploy.yml runs deno task ${task}`);
  }
});

Deno.test("workflows: the checks catch an undefined context, a bad job reference and a missing task", async () => {
  const broken = `
name: broken
on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo "\${{ github.nope }}"
      - run: echo "\${{ needs.b.outputs.x }}"
      - run: echo "\${{ nosuch.value }}"
      - run: deno task no-such-task && deno task test
`;
  const problems = await checkWorkflow(broken, "broken.yml", projectTasks());
  const about = (pattern: RegExp, line: number) =>
    assert.ok(
      problems.some((p) => p.kind === "expression" && p.line === line && pattern.test(p.message)),
      `${pattern} on line ${line}: ${JSON.stringify(problems.map((p) => [p.line, p.message]))}`,
    );
  about(/"nope" is not defined/, 8);
  about(/"b" is not defined/, 9);
  about(/nosuch/, 10);
  assert.deepEqual(problems.filter((p) => p.kind === "deno-task").map((p) => [p.line, p.message]), [
    [11, `"deno task no-such-task" is not a task in deno.json`],
  ]);
  assert.deepEqual(
    await actionlint("on: push\njobs:\n  a:\n    steps: []\n", "x.yml").then((r) =>
      r.some((p) => /runs-on/.test(p.message))
    ),
    true,
  );
});
