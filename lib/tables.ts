import { aws_dynamodb as dynamodb, RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** The attribute DynamoDB's TTL reads (epoch seconds); the runtime's stores write it. */
export const TTL_ATTRIBUTE = 'expires_at';

/** The two tables the chat function keeps its state in. */
export interface AgentTables {
  /** One item per chat message: pk `USER#<userId>#SESSION#<sessionId>`, sk `MSG#...`. */
  sessions: dynamodb.Table;
  /** One item per pending review plan: pk `USER#<userId>`, sk `PLAN#<planId>`. */
  plans: dynamodb.Table;
}

/**
 * The DynamoDB actions the chat function needs on its tables, and no more (no Scan, no transactions, no
 * ConditionCheckItem): the stores read one user's partition with Query/GetItem and write single items conditionally.
 */
export const TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
  'dynamodb:BatchWriteItem',
] as const;

/** What every table of the stack is: string `pk`/`sk`, on demand, TTL, PITR, AWS-managed key, retained. */
const TABLE_PROPS: dynamodb.TableProps = {
  partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
  sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
  billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
  timeToLiveAttribute: TTL_ATTRIBUTE,
  pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  encryption: dynamodb.TableEncryption.AWS_MANAGED,
  removalPolicy: RemovalPolicy.RETAIN,
};

/**
 * Creates the sessions and review-plans tables: on-demand, TTL on `expires_at`, point-in-time recovery, encrypted
 * with the AWS-managed key, and retained when the stack is deleted (they hold users' conversations).
 * Both use a string `pk`/`sk` pair; every partition key starts with the user id, so one user's data is one Query.
 */
export function addTables(scope: Construct, id = 'Tables'): AgentTables {
  const construct = new Construct(scope, id);
  const table = (tableId: string) => new dynamodb.Table(construct, tableId, TABLE_PROPS);
  return { sessions: table('Sessions'), plans: table('Plans') };
}

/** The auto-review table's per-user index (lambdas/autoreview/subscriptions.ts `BY_USER_INDEX`). */
export const AUTO_REVIEW_BY_USER_INDEX = 'byUser';

/**
 * The auto-review table: subscriptions (pk `REPO#<owner/name>`, sk `SUB#<userId>`, listed per user through the
 * `byUser` index on `user_pk` = `USER#<userId>`) and webhook delivery ids seen (pk `DELIVERY#<id>`, kept a few days
 * through TTL). Same guarantees as the other tables: on-demand, TTL, PITR, AWS-managed key, retained.
 */
export function addAutoReviewTable(scope: Construct, id = 'AutoReview'): dynamodb.Table {
  const table = new dynamodb.Table(scope, id, TABLE_PROPS);
  table.addGlobalSecondaryIndex({
    indexName: AUTO_REVIEW_BY_USER_INDEX,
    partitionKey: { name: 'user_pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    projectionType: dynamodb.ProjectionType.ALL,
  });
  return table;
}
