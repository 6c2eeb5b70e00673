/**
 * `deno task check`: formatting, lint and type checks of the whole project, one after the
 * other, stopping at the first that fails (its own output says why). A script rather than a
 * chain in deno.json, so that `--help` answers without running them.
 * @module
 */

import { defineCommand, runCommand } from "../src/util/command.ts";

/** What is type-checked: every TypeScript folder of the project. */
export const CHECKED = ["src/", "tests/", "container/", "bench/", "tools/"];

export const command = defineCommand({
  task: "deno task check",
  usage: "",
  summary: `
Runs \`deno fmt --check\`, \`deno lint\` and \`deno check ${CHECKED.join(" ")}\` in turn and
stops at the first that fails (exit 1).`,
  options: {},
});

async function main(): Promise<number> {
  for (const args of [["fmt", "--check"], ["lint"], ["check", ...CHECKED]]) {
    const { code } = await new Deno.Command(Deno.execPath(), {
      args,
      cwd: new URL("../", import.meta.url).pathname,
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (code !== 0) return 1;
  }
  return 0;
}

if (import.meta.main) await runCommand(command, main);
