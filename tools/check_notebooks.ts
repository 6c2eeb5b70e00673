/**
 * Type-checks the code cells of every notebook: the Deno kernel does not, and `deno check`
 * does not read .ipynb. Each notebook's cells are joined into a temporary module beside it (so
 * relative imports resolve the same), checked together, and removed.
 *
 * @module
 */

import { badUsage, defineCommand, type ParsedOf, runCommand } from "../src/util/command.ts";

export const command = defineCommand({
  task: "deno task notebooks:check",
  usage: "[NOTEBOOK.ipynb ...]",
  summary: `
Type-checks the code cells of the given notebooks with \`deno check\`, as one temporary module
per notebook beside it.`,
  positionals: { name: "NOTEBOOK.ipynb", help: "notebooks (default: every notebooks/*.ipynb)" },
  options: {},
});

async function main({ positionals }: ParsedOf<typeof command>): Promise<number> {
  const odd = positionals.find((a) => !a.endsWith(".ipynb"));
  if (odd) badUsage(`not a notebook: ${odd}`);
  const root = new URL("../notebooks/", import.meta.url).pathname;
  const notebooks = positionals.length > 0 ? positionals : [...Deno.readDirSync(root)]
    .filter((e) => e.name.endsWith(".ipynb")).map((e) => root + e.name).sort();
  const modules: string[] = [];
  try {
    for (const path of notebooks) {
      const notebook = JSON.parse(await Deno.readTextFile(path));
      const code = notebook.cells
        .filter((cell: { cell_type: string }) => cell.cell_type === "code")
        .map((cell: { source: string | string[] }, i: number) =>
          `// --- cell ${i + 1}\n${Array.isArray(cell.source) ? cell.source.join("") : cell.source}`
        )
        .join("\n\n");
      const module = path.replace(/([^/]+)\.ipynb$/, ".check-$1.ts");
      // A cell's last expression is its display: harmless as a statement.
      await Deno.writeTextFile(module, `${code}\n\nexport {};\n`);
      modules.push(module);
    }
    const out = await new Deno.Command(Deno.execPath(), { args: ["check", ...modules] }).output();
    await Deno.stdout.write(out.stdout);
    await Deno.stderr.write(out.stderr);
    if (out.code !== 0) return out.code;
    console.log(`type-checked the code cells of ${notebooks.length} notebooks`);
  } finally {
    for (const module of modules) await Deno.remove(module).catch(() => {});
  }
  return 0;
}

if (import.meta.main) await runCommand(command, main);
