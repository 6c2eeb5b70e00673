/** Runs a deno.json task as users do (its own permissions), capturing the output. */

const ROOT = new URL("../", import.meta.url).pathname;

/** `deno task NAME ...args`, without the shell: the task's `deno run` line plus `args`. */
export async function runTask(
  name: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string; out: string }> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const [deno, ...rest] = String(config.tasks[name]).split(/\s+/);
  if (deno !== "deno") throw new Error(`task ${name} is not a deno command`);
  const output = await new Deno.Command(Deno.execPath(), {
    args: [...rest, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  const stdout = text.decode(output.stdout);
  const stderr = text.decode(output.stderr);
  return { code: output.code, stdout, stderr, out: stdout + stderr };
}
