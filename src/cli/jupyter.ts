/** `deno task jupyter`: the notebooks in Jupyter on 127.0.0.1, with the project's kernel. */

import { defineCommand, type ParsedOf, runCommand } from "../util/command.ts";
import { startJupyter } from "../notebook/jupyter_server.ts";

export const command = defineCommand({
  task: "deno task jupyter",
  summary: `
Starts Jupyter on 127.0.0.1 over notebooks/ and prints the URL to open (token included). The
kernel is the project's kernelspec in notebooks/.kernel: the Deno kernel behind a launcher that
hands it one cell at a time (so "Run All" puts every output under its own cell), with NO_COLOR
and the telemetry opt-outs. TITANIC_DATA_DIR is passed to the kernel as an absolute path
(relative paths are taken from the project root); unset, ../shared/data/titanic when it has the
CSVs, else the notebooks read the cache data/raw/ or download. Ctrl-C stops Jupyter and its
kernels.`,
  options: {
    port: {
      type: "integer",
      min: 1,
      max: 65535,
      default: 8888,
      help: "port to listen on (fails when it is taken)",
    },
    lab: {
      type: "boolean",
      help: "JupyterLab instead of Debian's classic Notebook (needs `pip install jupyterlab`)",
    },
  },
});

async function main({ values }: ParsedOf<typeof command>): Promise<number> {
  const { port, lab } = values;
  const jupyter = await startJupyter({ port, lab });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => jupyter.stop());
  }
  console.log(
    `\nJupyter is running. Open:\n\n    ${jupyter.url}\n\n` +
      `TITANIC_DATA_DIR for the kernels: ${jupyter.dataDir ?? "(unset: data/raw/ or download)"}\n` +
      "Ctrl-C stops it.\n",
  );
  const status = await jupyter.process.status;
  return status.signal === "SIGTERM" ? 0 : status.code;
}

if (import.meta.main) await runCommand(command, main);
