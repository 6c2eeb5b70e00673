/** Runs a deno.json task as users do (its own permissions), capturing the output. */

import { taskCommand } from "../container/launch.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** `deno task NAME ...args`, without the shell: the task's `deno run` line plus `args`. */
export async function runTask(
  name: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string; out: string }> {
  const task = taskCommand(name);
  const output = await new Deno.Command(Deno.execPath(), {
    args: [...task.args, ...args],
    cwd: ROOT,
    env: { ...task.env, NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  const stdout = text.decode(output.stdout);
  const stderr = text.decode(output.stderr);
  return { code: output.code, stdout, stderr, out: stdout + stderr };
}
