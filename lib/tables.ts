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

/**
 * Creates the sessions and review-plans tables: on-demand, TTL on `expires_at`, point-in-time recovery, encrypted
 * with the AWS-managed key, and retained when the stack is deleted (they hold users' conversations).
 * Both use a string `pk`/`sk` pair; every partition key starts with the user id, so one user's data is one Query.
 */
export function addTables(scope: Construct, id = 'Tables'): AgentTables {
  const construct = new Construct(scope, id);
  const table = (tableId: string) =>
    new dynamodb.Table(construct, tableId, {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  return { sessions: table('Sessions'), plans: table('Plans') };
}
