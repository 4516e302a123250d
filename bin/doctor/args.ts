import { parseArgs } from 'node:util';

/** Which checks to run; `undefined` lets doctor choose (after when it finds stack outputs, else before). */
export type PhaseOption = 'before' | 'after' | 'all';

/** Doctor's options after parsing the command line. */
export interface DoctorOptions {
  phase?: PhaseOption;
  json: boolean;
  /** The CloudFormation stack; otherwise the `stackName` context value. */
  stack?: string;
  /** A `cdk deploy --outputs-file` file to read the outputs from instead of CloudFormation. */
  outputsFile?: string;
  /** The stack's Region; otherwise the `region` context value. */
  region?: string;
  /** A named profile of the shared AWS config files. */
  profile?: string;
  /** The chat endpoint instead of the `ChatUrl` output (a custom domain, or `npm run dev`'s local server). */
  url?: string;
  /** `-c key=value` pairs, as given to `cdk deploy`. */
  context: Record<string, string>;
}

export const USAGE = `Usage: npm run doctor -- [options]

Checks a deployment of the GitHub coding agent, before and after \`cdk deploy\`, and prints a
checklist: ✔ passed, ✘ failed (with the fix), ! a warning or a check that could not run.
Exits 1 when any check failed.

Before deploy: AWS credentials and Region; the Bedrock model answers in that Region (one
Converse call, maxTokens 1); the client-secret secret has its JSON key (never printed);
the GitHub OAuth App client id looks right.
After deploy: the stack outputs; the OAuth2 credential provider is READY; its callback URL
(and the manual check that GitHub accepts it); the workload identity's return URLs; a signed
GET /health and one chat turn through the function URL; the invoke policy's conditions.

Options:
  --phase <before|after|all>  which checks (default: after when stack outputs are found, else before)
  --stack <name>              CloudFormation stack (default: context stackName, GitHubCodingAgent)
  --outputs-file <file>       read outputs from \`cdk deploy --outputs-file <file>\` instead of CloudFormation
  --region <region>           the stack's Region (default: context region, ap-southeast-2)
  --profile <name>            AWS named profile (default: the usual credential chain)
  --url <url>                 chat endpoint instead of the ChatUrl output; a loopback URL
                              (npm run dev) is not signed and needs no stack
  -c, --context <key=value>   CDK context, as given to cdk deploy (e.g. -c githubClientId=Ov23li...)
  --json                      print one JSON document: {ok, phase, checks: [{id, status, detail, fix, doc}]}
  -h, --help                  show this help

Fixes point to sections of docs/troubleshooting.md ("Doctor check <id>").`;

/** The outcome of parsing: options, a request for help, or a usage error to print with {@link USAGE}. */
export type ParsedDoctorArgs =
  | { kind: 'run'; options: DoctorOptions }
  | { kind: 'help' }
  | { kind: 'error'; message: string };

const PHASES: readonly string[] = ['before', 'after', 'all'];

/** Parses `argv` (without the node and script paths). */
export function parseDoctorArgs(argv: string[]): ParsedDoctorArgs {
  let values: ReturnType<typeof parse>['values'];
  let positionals: string[];
  try {
    ({ values, positionals } = parse(argv));
  } catch (error) {
    return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
  }
  if (values.help) return { kind: 'help' };
  if (positionals.length > 0) {
    return { kind: 'error', message: `Unexpected argument: ${positionals[0]}` };
  }
  if (values.phase !== undefined && !PHASES.includes(values.phase)) {
    return { kind: 'error', message: `--phase must be before, after or all, got ${values.phase}` };
  }
  if (values.url !== undefined) {
    try {
      const parsed = new URL(values.url);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      return { kind: 'error', message: `--url must be an http(s) URL, got ${values.url}` };
    }
  }
  const context: Record<string, string> = {};
  for (const pair of values.context ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) return { kind: 'error', message: `-c expects key=value, got ${pair}` };
    context[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return {
    kind: 'run',
    options: {
      phase: values.phase as PhaseOption | undefined,
      json: values.json ?? false,
      stack: values.stack,
      outputsFile: values['outputs-file'],
      region: values.region,
      profile: values.profile,
      url: values.url,
      context,
    },
  };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      phase: { type: 'string' },
      json: { type: 'boolean' },
      stack: { type: 'string' },
      'outputs-file': { type: 'string' },
      region: { type: 'string' },
      profile: { type: 'string' },
      url: { type: 'string' },
      context: { type: 'string', short: 'c', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
