/**
 * Type-checks the code cells of every notebook: the Deno kernel does not, and `deno check`
 * does not read .ipynb. Each notebook's cells are joined into a temporary module beside it (so
 * relative imports resolve the same), checked together, and removed.
 *
 * Usage: deno run --allow-read --allow-write --allow-run tools/check_notebooks.ts [NOTEBOOK...]
 * @module
 */

const USAGE = `Usage: deno task notebooks:check [NOTEBOOK.ipynb ...]

Type-checks the code cells of the given notebooks (default: every notebooks/*.ipynb) with
\`deno check\`, as one temporary module per notebook beside it.`;

if (Deno.args.some((a) => a === "-h" || a === "--help")) {
  console.log(USAGE);
  Deno.exit(0);
}
const unknown = Deno.args.find((a) => a.startsWith("-") || !a.endsWith(".ipynb"));
if (unknown) {
  console.error(`error: not a notebook: ${unknown}\n\n${USAGE}`);
  Deno.exit(2);
}

const root = new URL("../notebooks/", import.meta.url).pathname;
const notebooks = Deno.args.length > 0
  ? Deno.args
  : [...Deno.readDirSync(root)].filter((e) => e.name.endsWith(".ipynb")).map((e) => root + e.name)
    .sort();

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
  if (out.code !== 0) Deno.exit(out.code);
  console.log(`type-checked the code cells of ${notebooks.length} notebooks`);
} finally {
  for (const module of modules) await Deno.remove(module).catch(() => {});
}
