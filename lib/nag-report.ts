import type { PolicyValidationPluginReport } from 'aws-cdk-lib';
import { AwsSolutionsChecks, type IApplyRule, type NagPackProps } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** What one cdk-nag run checked and found. */
export interface NagSummary {
  /** Distinct AwsSolutions rules that ran on at least one resource. */
  rules: number;
  /** Rule × resource checks. */
  checks: number;
  /** CloudFormation resources checked. */
  resources: number;
  /** Unacknowledged findings (each fails the synth). */
  failed: number;
  /** Findings acknowledged in lib/nag-suppressions.ts, each with its reason. */
  acknowledged: number;
}

/** The line synth prints, so a passing cdk-nag run is visible rather than silent. */
export function formatNagSummary(summary: NagSummary): string {
  const verdict = summary.failed === 0 ? 'none failed' : `${summary.failed} failed (listed below)`;
  return (
    `cdk-nag AwsSolutions: ${summary.rules} rules ran ${summary.checks} checks on ${summary.resources} resources; ` +
    `${verdict}; ${summary.acknowledged} findings acknowledged with reasons (lib/nag-suppressions.ts)`
  );
}

/**
 * cdk-nag's AwsSolutions pack, counting what it checks. cdk-nag 3 runs as a policy-validation plugin that reports
 * only failures; this subclass also hands a summary to `report` after every run.
 */
export class CountedAwsSolutionsChecks extends AwsSolutionsChecks {
  private readonly rulesRun = new Set<string>();
  private readonly resourcesChecked = new Set<string>();
  private checks = 0;

  constructor(
    scope: IConstruct | undefined,
    props: NagPackProps,
    private readonly report: (summary: NagSummary) => void,
  ) {
    super(scope, props);
  }

  protected override applyRule(params: IApplyRule): void {
    this.rulesRun.add(params.ruleSuffixOverride ?? params.rule.name);
    this.resourcesChecked.add(params.node.node.path);
    this.checks += 1;
    super.applyRule(params);
  }

  override validateScope(scope: IConstruct): PolicyValidationPluginReport {
    this.rulesRun.clear();
    this.resourcesChecked.clear();
    this.checks = 0;
    const result = super.validateScope(scope);
    this.report({
      rules: this.rulesRun.size,
      checks: this.checks,
      resources: this.resourcesChecked.size,
      failed: result.violations.reduce((sum, violation) => sum + violation.violatingResources.length, 0),
      acknowledged: countAcknowledged(scope),
    });
    return result;
  }
}

/** Acknowledgements recorded by `Validations.of(...).acknowledge` in the tree. */
function countAcknowledged(scope: IConstruct): number {
  return scope.node
    .findAll()
    .flatMap((construct) => construct.node.metadata)
    .filter((entry) => entry.type === 'aws:cdk:acknowledged-rules')
    .reduce((sum, entry) => sum + Object.keys(entry.data as Record<string, string>).length, 0);
}
