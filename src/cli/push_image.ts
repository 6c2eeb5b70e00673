/**
 * `deno task push-image`: create the ECR repository if needed; print or run login, tag, push.
 * @module
 */

import { AwsCaller, makeClients } from "../deploy/aws.ts";
import { preparePush } from "../deploy/ecr.ts";
import { fail, parseCli, stringOption } from "./args.ts";
import { AWS_OPTIONS, AWS_USAGE, runAwsMain } from "./aws_main.ts";

const USAGE = `
deno task push-image --repository NAME [options]

Creates the ECR repository when it is missing, then prints the commands that log in to the
registry, tag the local image and push it (or runs them with --run), and the image URI to pass
to deno task deploy --image.

Options:
  --repository NAME   ECR repository
  --tag T             image tag (default: latest)
  --image LOCAL       local image to push (default: titanic, as built by docker build -t titanic .)
  --tool T            docker or podman (default: docker)
  --run               run the commands instead of printing them
${AWS_USAGE}
  -h, --help          show this help
`;

await runAwsMain(async () => {
  const { values } = parseCli(Deno.args, {
    repository: { type: "string" },
    tag: { type: "string" },
    image: { type: "string" },
    tool: { type: "string" },
    run: { type: "boolean" },
    ...AWS_OPTIONS,
  }, USAGE);
  const repository = stringOption(values.repository) ?? fail(`--repository is required\n${USAGE}`);
  const tool = stringOption(values.tool) ?? "docker";
  if (tool !== "docker" && tool !== "podman") fail(`--tool must be docker or podman`);
  const caller = new AwsCaller(Boolean(values["dry-run"]));
  const plan = await preparePush(makeClients(stringOption(values.region)), caller, {
    repository,
    tag: stringOption(values.tag) ?? "latest",
    localImage: stringOption(values.image) ?? "titanic",
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
      if (!status.success) fail(`${command.join(" ")} failed with status ${status.code}`, 1);
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
});
