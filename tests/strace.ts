/**
 * Running a command under strace (Debian's) and finding every attempt to reach another
 * machine: a connect/sendto/sendmsg/sendmmsg to an address other than loopback, and any DNS
 * query (port 53, even to a loopback resolver, which would forward it). Unix and netlink
 * sockets are local. Used by the privacy test and the load suite.
 * @module
 */

export const TRACED_CALLS = "connect,sendto,sendmsg,sendmmsg";

/** The environment of this process without `names`: to prove a command sets them itself. */
export function envWithout(...names: string[]): Record<string, string> {
  const env = Deno.env.toObject();
  for (const name of names) delete env[name];
  return env;
}

/** `strace -f -o FILE -- command args`: the trace covers every thread and child process. */
export function traced(
  traceFile: string,
  command: string,
  args: string[],
  options: { env: Record<string, string>; cwd?: string },
): Deno.ChildProcess {
  return new Deno.Command("strace", {
    args: [
      "-f",
      "-qq",
      "-s",
      "128",
      "-e",
      `trace=${TRACED_CALLS}`,
      "-o",
      traceFile,
      "--",
      command,
      ...args,
    ],
    env: options.env,
    clearEnv: true,
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

const SOCKADDR = /\{sa_family=(AF_[A-Z0-9]+)([^}]*)\}/g;

function isLoopback(family: string, rest: string): boolean {
  if (family === "AF_INET") return /inet_addr\("127\./.test(rest);
  if (family === "AF_INET6") return /"(::1|::ffff:127\.[0-9.]+)"/.test(rest);
  return false;
}

/** Why a socket address is not local, or undefined when it is. */
function nonLocal(family: string, rest: string): string | undefined {
  if (family === "AF_NETLINK") return undefined;
  if (family === "AF_UNIX") {
    // A local resolver's socket would forward a lookup off the machine.
    return /resolve|nscd/.test(rest) ? "a name-service socket" : undefined;
  }
  if (family === "AF_INET" || family === "AF_INET6") {
    // A DNS query, wherever the resolver is (a loopback one forwards it).
    if (/port=htons\(53\)/.test(rest)) return "a DNS query";
    return isLoopback(family, rest) ? undefined : "not loopback";
  }
  return `address family ${family}`;
}

/** The trace lines of `traceText` that reach (or try to reach) beyond this machine. */
export function outboundCalls(traceText: string): string[] {
  const found: string[] = [];
  for (const line of traceText.split("\n")) {
    if (!/\b(connect|sendto|sendmsg|sendmmsg)\(/.test(line)) continue;
    for (const [, family, rest] of line.matchAll(SOCKADDR)) {
      const why = nonLocal(family, rest);
      if (why) {
        found.push(`${why}: ${line.slice(0, 240)}`);
        break;
      }
    }
  }
  return found;
}

/** The ids of every process below `pid` (from /proc), nearest first. */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const next = queue.shift()!;
    let children = "";
    try {
      children = Deno.readTextFileSync(`/proc/${next}/task/${next}/children`);
    } catch { /* gone */ }
    for (const child of children.trim().split(/\s+/).filter(Boolean).map(Number)) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

/** The command line of a process, or "" once it is gone. */
export function commandLine(pid: number): string {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).replaceAll("\0", " ");
  } catch {
    return "";
  }
}
