/**
 * The notebooks as a person runs them: Debian's classic Notebook (`deno task jupyter`'s server)
 * driven by Debian's Chromium through playwright-core. For each notebook: Kernel > Restart & Run
 * All, wait, and compare every cell's outputs with the committed notebook (kind and order, text
 * and execution count), NOTEBOOK_BROWSER_ROUNDS times (default 5); then File > Save and Checkpoint
 * must leave CI's unchanged check green. Screenshots of the first round go to build/screenshots/.
 * A failing notebook prints the end of Jupyter's log (kernels' stderr included); the whole log
 * is kept then, or always with NOTEBOOK_BROWSER_KEEP_LOG=1.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { chromium, type Page } from "playwright-core";
import { startJupyter } from "../src/notebook/jupyter_server.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const ROUNDS = Number(Deno.env.get("NOTEBOOK_BROWSER_ROUNDS") ?? "5");
const SCREENSHOTS = join(ROOT, "build/screenshots");
const NOTEBOOKS = [...Deno.readDirSync(join(ROOT, "notebooks"))].map((e) => e.name)
  .filter((n) => n.endsWith(".ipynb")).sort();
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
const RUN_TIMEOUT_MS = 300_000;
/** How much of Jupyter's log (with the kernels' stderr) a failing notebook prints. */
const LOG_TAIL_LINES = 150;
/** Late outputs still land after the last cell went idle; the outputs must stay put this long. */
const SETTLE_MS = 1500;

interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  execution_count?: number | null;
}

/** What must match per output: its kind, its text where it has one, its execution count. */
function summary(output: Output): string {
  const text = (v: unknown) => Array.isArray(v) ? v.join("") : String(v);
  switch (output.output_type) {
    case "stream":
      return `stream ${output.name}: ${text(output.text)}`;
    case "execute_result":
    case "display_data":
      return `${output.output_type} [${Object.keys(output.data ?? {}).sort()}]` +
        (output.output_type === "execute_result" ? ` #${output.execution_count}` : "") +
        `: ${text(output.data?.["text/plain"] ?? "")}`;
    default:
      return output.output_type;
  }
}

function committedCells(name: string): { count: number | null; outputs: string[] }[] {
  const nb = JSON.parse(Deno.readTextFileSync(join(ROOT, "notebooks", name)));
  return nb.cells.filter((c: { cell_type: string }) => c.cell_type === "code").map(
    (c: { execution_count: number | null; outputs: Output[] }) => ({
      count: c.execution_count,
      outputs: c.outputs.map(summary),
    }),
  );
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

// Runs in the page: the classic Notebook's own model of each code cell.
function pageCells(): { count: unknown; outputs: Output[] }[] {
  // deno-lint-ignore no-explicit-any
  const nb = (globalThis as any).Jupyter.notebook;
  // deno-lint-ignore no-explicit-any
  return nb.get_cells().filter((c: any) => c.cell_type === "code").map((c: any) => ({
    count: c.input_prompt_number ?? null,
    outputs: c.output_area.outputs,
  }));
}

/**
 * Runs in the page: records what the classic Notebook announces when a kernel ends without being
 * asked to (Jupyter then restarts it behind a "Kernel Restarting" dialog, or gives up: "Dead
 * kernel"), so that a round fails at once, saying so, instead of a click timing out behind the
 * dialog while a restarted kernel answers as if nothing happened.
 */
function watchKernelDeaths(): void {
  // deno-lint-ignore no-explicit-any
  const page = globalThis as any;
  page.kernelDeaths = [];
  const events = page.Jupyter.notebook.events;
  events.on("kernel_autorestarting.Kernel", () => page.kernelDeaths.push("Kernel Restarting"));
  events.on("kernel_dead.Kernel", () => page.kernelDeaths.push("Dead kernel"));
}

/** Runs in the page: the dialogs of kernel deaths, recorded or (before the watch began) shown. */
function kernelDeaths(): string[] {
  // deno-lint-ignore no-explicit-any
  const page = globalThis as any;
  const recorded: string[] = page.kernelDeaths ?? [];
  const shown = [...page.document.querySelectorAll(".modal.in .modal-title")]
    .map((title: { textContent: string | null }) => title.textContent ?? "")
    .filter((title: string) => title === "Kernel Restarting" || title === "Dead kernel");
  return [...new Set([...recorded, ...shown])];
}

async function assertKernelLived(page: Page, when: string): Promise<void> {
  const deaths = await page.evaluate(kernelDeaths);
  assert.deepEqual(
    deaths,
    [],
    `${when}, the kernel ended by itself (Jupyter showed ${deaths.join(", ")}); ` +
      "its stderr is in Jupyter's log",
  );
}

async function restartAndRunAll(page: Page): Promise<{ count: unknown; outputs: string[] }[]> {
  await assertKernelLived(page, "before Restart & Run All");
  // Blank prompts first, so "every prompt has a number" can only mean this run finished.
  await page.evaluate(() => {
    // deno-lint-ignore no-explicit-any
    const nb = (globalThis as any).Jupyter.notebook;
    nb.clear_all_output();
  });
  await page.click("#kernellink");
  await page.click("#restart_run_all");
  await page.click(".modal-dialog button.btn-danger"); // "Restart and Run All Cells"
  await page.waitForFunction(
    () => {
      // deno-lint-ignore no-explicit-any
      const nb = (globalThis as any).Jupyter.notebook;
      // deno-lint-ignore no-explicit-any
      const code = nb.get_cells().filter((c: any) => c.cell_type === "code");
      // deno-lint-ignore no-explicit-any
      if ((globalThis as any).kernelDeaths.length > 0) return true; // reported below
      // deno-lint-ignore no-explicit-any
      return !nb.kernel_busy && code.every((c: any) => typeof c.input_prompt_number === "number");
    },
    null,
    { timeout: RUN_TIMEOUT_MS, polling: 250 },
  );
  let last = "";
  while (true) {
    const now = JSON.stringify(await page.evaluate(pageCells));
    if (now === last) break;
    last = now;
    await page.waitForTimeout(SETTLE_MS);
  }
  await assertKernelLived(page, "during Restart & Run All");
  return (JSON.parse(last) as { count: unknown; outputs: Output[] }[]).map((c) => ({
    count: c.count,
    outputs: c.outputs.map(summary),
  }));
}

/** The whole notebook: the classic Notebook scrolls inside #site, not the page. */
async function screenshot(page: Page, path: string): Promise<void> {
  const style = await page.addStyleTag({
    content: "#site { height: auto !important; overflow: visible !important; }",
  });
  await page.screenshot({ path, fullPage: true });
  await style.evaluate((node) => node.remove());
}

async function shutDownKernels(origin: string, token: string): Promise<void> {
  const headers = { Authorization: `token ${token}` };
  const sessions = await (await fetch(`${origin}/api/sessions`, { headers })).json();
  for (const session of sessions as { id: string }[]) {
    const response = await fetch(`${origin}/api/sessions/${session.id}`, {
      method: "DELETE",
      headers,
    });
    await response.body?.cancel();
  }
}

/**
 * The last `lines` lines of Jupyter's log, to say why a kernel ended or a click waited; without
 * the line DEBUG logs for every message a kernel publishes (the file keeps them).
 */
async function logTail(path: string, lines: number): Promise<string> {
  const text = await Deno.readTextFile(path).catch((e) => `(no log: ${e})`);
  return text.split("\n").filter((line) => !/^\[D [\d:.]+ NotebookApp\] activity on /.test(line))
    .slice(-lines - 1).join("\n");
}

async function unchangedCheck(saved: string, committed: string): Promise<string> {
  const check = await new Deno.Command("/usr/bin/python3", {
    args: [join(ROOT, "tools/notebooks_unchanged.py"), "--against", committed, saved],
  }).output();
  const text = new TextDecoder().decode(check.stderr);
  return check.code === 0 ? "" : text || `exit ${check.code}`;
}

Deno.test(`browser: Restart & Run All in the classic Notebook, ${ROUNDS} rounds of every notebook`, async (t) => {
  assert.ok(Number.isInteger(ROUNDS) && ROUNDS > 0, "NOTEBOOK_BROWSER_ROUNDS must be >= 1");
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  // Kept out of the test's output unless a notebook fails; DEBUG says why a kernel stopped.
  const jupyter = await startJupyter({ port: freePort(), log: "file", logLevel: "DEBUG" });
  const logFile = jupyter.logFile!;
  let failed = false;
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: CHROMIUM_ARGS,
  });
  try {
    for (const name of NOTEBOOKS) {
      await t.step(name, async () => {
        const path = join(ROOT, "notebooks", name);
        const original = await Deno.readFile(path);
        const expected = committedCells(name);
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        const copy = await Deno.makeTempFile({ suffix: ".ipynb" });
        const checkpoint = join(
          ROOT,
          "notebooks/.ipynb_checkpoints",
          name.replace(/\.ipynb$/, "-checkpoint.ipynb"),
        );
        const hadCheckpoint = await Deno.stat(checkpoint).then(() => true, () => false);
        try {
          await page.goto(`${jupyter.origin}/notebooks/${name}?token=${jupyter.token}`);
          await page.waitForFunction(
            () =>
              // deno-lint-ignore no-explicit-any
              (globalThis as any).Jupyter?.notebook?.kernel?.is_connected?.() === true,
            null,
            { timeout: 120_000 },
          );
          await page.evaluate(watchKernelDeaths);
          // The test saves once, on purpose, below; never behind its back.
          // deno-lint-ignore no-explicit-any
          await page.evaluate(() => (globalThis as any).Jupyter.notebook.set_autosave_interval(0));
          for (let round = 1; round <= ROUNDS; round++) {
            const cells = await restartAndRunAll(page);
            if (round === 1) {
              await screenshot(page, join(SCREENSHOTS, name.replace(/ipynb$/, "png")));
            }
            assert.equal(cells.length, expected.length);
            cells.forEach((cell, i) =>
              assert.deepEqual(
                cell,
                expected[i],
                `${name}, round ${round}: code cell ${i + 1} (In [${expected[i].count}])`,
              )
            );
          }
          // Saving from the UI keeps CI's check green.
          await Deno.writeFile(copy, original);
          await page.click("#filelink");
          await page.click("#save_checkpoint");
          await page.waitForFunction(() =>
            // deno-lint-ignore no-explicit-any
            !(globalThis as any).Jupyter.notebook.dirty
          );
          await page.waitForSelector("#notification_notebook:has-text('Checkpoint created')", {
            state: "attached",
            timeout: 30_000,
          }).catch(() => {});
          assert.equal(await unchangedCheck(path, copy), "", `${name} saved from the UI`);
        } catch (error) {
          failed = true;
          console.error(`--- ${name} failed; Jupyter's log (${logFile}) ends:`);
          console.error(await logTail(logFile, LOG_TAIL_LINES));
          throw error;
        } finally {
          await page.close();
          await shutDownKernels(jupyter.origin, jupyter.token);
          await Deno.writeFile(path, original);
          await Deno.remove(copy);
          if (!hadCheckpoint) await Deno.remove(checkpoint).catch(() => {});
        }
      });
    }
  } finally {
    await browser.close();
    await jupyter.stop();
    if (failed || Deno.env.get("NOTEBOOK_BROWSER_KEEP_LOG")) {
      console.error(`Jupyter's whole log is kept in ${logFile}`);
    } else await Deno.remove(logFile);
  }
});
