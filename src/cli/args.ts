/**
 * Argument parsing shared by the CLI tasks: node:util parseArgs, `--help`, and usage errors
 * that exit with status 2 and a one-line message instead of a stack trace.
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";

export type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parses `argv`; prints `usage` and exits 0 on --help, exits 2 on a bad option. */
export function parseCli(
  argv: string[],
  options: Options,
  usage: string,
): { values: Record<string, string | boolean | undefined> } {
  const all: Options = { ...options, help: { type: "boolean", short: "h" } };
  try {
    const parsed = parseArgs({ args: argv, options: all, strict: true, allowPositionals: false });
    const values = parsed.values as Record<string, string | boolean | undefined>;
    if (values.help) {
      console.log(usage.trim());
      Deno.exit(0);
    }
    return { values };
  } catch (err) {
    fail(`${(err as Error).message}\n\n${usage.trim()}`);
  }
}

/** An integer option, or exit 2 naming it. */
export function intOption(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n)) fail(`--${name} must be an integer, got "${value}"`);
  return n;
}

/** Prints `message` to stderr and exits with `code`. */
export function fail(message: string, code = 2): never {
  console.error(`error: ${message}`);
  Deno.exit(code);
}

/** Runs a task's main, turning expected errors into a message and exit status 1. */
export async function runMain(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    fail((err as Error).message, 1);
  }
}

/** A string option (undefined when absent). */
export function stringOption(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
