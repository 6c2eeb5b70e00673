/**
 * `deno task push-image`: create the ECR repository if needed; print or run login, tag, push.
 * @module
 */

import { AwsCaller, makeClients } from "../deploy/aws.ts";
import { preparePush } from "../deploy/ecr.ts";
import { defineCommand, type ParsedOf, runCommand } from "../util/command.ts";
import { AWS_ERRORS, AWS_NOTE, AWS_OPTIONS } from "./aws_main.ts";

export const command = defineCommand({
  task: "deno task push-image",
  usage: "--repository NAME [options]",
  summary: `
Creates the ECR repository when it is missing, then prints the commands that log in to the
registry, tag the local image and push it (or runs them with --run), and the image URI to pass
to deno task deploy --image.`,
  options: {
    repository: { type: "string", arg: "NAME", required: true, help: "ECR repository" },
    tag: { type: "string", arg: "T", default: "latest", help: "image tag" },
    image: {
      type: "string",
      arg: "LOCAL",
      default: "titanic",
      help: "local image to push (as built by docker build -t titanic .)",
    },
    tool: {
      type: "choice",
      arg: "T",
      choices: ["docker", "podman"],
      default: "docker",
      help: "container tool",
    },
    run: { type: "boolean", help: "run the commands instead of printing them" },
    ...AWS_OPTIONS,
  },
  notes: [AWS_NOTE],
});

export async function main({ values }: ParsedOf<typeof command>) {
  const { repository, tool } = values;
  const caller = new AwsCaller(values["dry-run"]);
  const plan = await preparePush(makeClients(values.region), caller, {
    repository,
    tag: values.tag,
    localImage: values.image,
    tool,
  });
  if (values.run && !caller.dryRun) {
    for (const [i, command] of plan.commands.entries()) {
      console.log(`$ ${command.join(" ")}`);
      const child = new Deno.Command(command[0], {
        args: command.slice(1),
        stdin: i === 0 ? "piped" : "null",
      }).spawn();
      if (i === 0) {
        const writer = child.stdin.getWriter();
        await writer.write(new TextEncoder().encode(plan.password ?? ""));
        await writer.close();
      }
      const status = await child.status;
      if (!status.success) {
        throw new Error(`${command.join(" ")} failed with status ${status.code}`);
      }
    }
  } else {
    console.log("\nrun:");
    console.log(
      `  aws ecr get-login-password${values.region ? ` --region ${values.region}` : ""} | ${
        plan.commands[0].join(" ")
      }`,
    );
    for (const command of plan.commands.slice(1)) console.log(`  ${command.join(" ")}`);
  }
  console.log(`\nimage: ${plan.imageUri}`);
}

if (import.meta.main) await runCommand(command, main, AWS_ERRORS);
