/**
 * ECR: make sure the repository exists, then give (or run) the login, tag and push commands
 * for docker or podman.
 * @module
 */

import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  GetAuthorizationTokenCommand,
} from "@aws-sdk/client-ecr";
import { assertNoProblems, type AwsCaller, type AwsClients, isNotFound } from "./aws.ts";
import { checkImageTag, checkRepository } from "./validation.ts";

export interface PushPlan {
  repositoryUri: string;
  imageUri: string;
  registry: string;
  /** Commands to run; the login reads the password from standard input. */
  commands: string[][];
  password?: string;
}

/** Ensures the repository and builds the push commands. */
export async function preparePush(
  clients: AwsClients,
  caller: AwsCaller,
  options: { repository: string; tag: string; localImage: string; tool: "docker" | "podman" },
): Promise<PushPlan> {
  assertNoProblems([
    ...checkRepository("--repository", options.repository),
    ...checkImageTag("--tag", options.tag),
  ]);
  let repositoryUri: string | undefined;
  try {
    const found = await caller.send(
      clients.ecr,
      new DescribeRepositoriesCommand({ repositoryNames: [options.repository] }),
    );
    repositoryUri = found.repositories?.[0]?.repositoryUri;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (!repositoryUri) {
    const created = await caller.send(
      clients.ecr,
      new CreateRepositoryCommand({
        repositoryName: options.repository,
        imageScanningConfiguration: { scanOnPush: true },
        imageTagMutability: "MUTABLE",
      }),
    );
    repositoryUri = created.repository?.repositoryUri;
  }
  // In a dry run nothing answers: show the shape of the address.
  repositoryUri ??= `<account>.dkr.ecr.<region>.amazonaws.com/${options.repository}`;
  let password: string | undefined;
  try {
    const auth = await caller.send(clients.ecr, new GetAuthorizationTokenCommand({}));
    const token = auth.authorizationData?.[0]?.authorizationToken;
    if (token) password = atob(token).split(":")[1];
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const registry = repositoryUri.split("/")[0];
  const imageUri = `${repositoryUri}:${options.tag}`;
  const t = options.tool;
  return {
    repositoryUri,
    imageUri,
    registry,
    password,
    commands: [
      [t, "login", "--username", "AWS", "--password-stdin", registry],
      [t, "tag", options.localImage, imageUri],
      [t, "push", imageUri],
    ],
  };
}
