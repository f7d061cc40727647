import { CfnOutput } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import { Construct } from "constructs";
import type { StageConfig } from "../config.js";
import { type TableAccess, type TableName, tableEnv, tables } from "../topology.js";
import type { AppFunction } from "./app-function.js";

export interface FeatureStoreProps {
  readonly config: StageConfig;
}

const TABLE_IDS: Readonly<Record<TableName, string>> = {
  users: "UsersTable",
  dedupe: "DedupeTable",
  contacts: "ContactsTable",
  ledger: "LedgerTable",
  apiKeys: "ApiKeysTable",
  scoring: "ScoringTable",
};

// Writing to a table under a customer-managed key: spelled out because grantReadWriteData would
// add the `kms:ReEncrypt*` and `kms:GenerateDataKey*` action families.
const KEY_WRITE_ACTIONS = ["kms:Encrypt", "kms:GenerateDataKey"];
const TABLE_WRITE_ACTIONS = [
  "dynamodb:BatchWriteItem",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
];

/**
 * The DynamoDB tables of the topology: on demand, point-in-time recovery, TTL where the
 * topology names an expiry attribute. Tables holding personal data (contacts) are encrypted
 * with a customer-managed key of their own, so access to PII can be audited and revoked apart
 * from behaviour data. In prod the tables survive stack deletion and refuse to be deleted.
 */
export class FeatureStore extends Construct {
  readonly tables: Readonly<Record<TableName, dynamodb.Table>>;
  /** Encrypts the tables that hold personal data. */
  readonly personalDataKey: kms.Key;

  constructor(scope: Construct, id: string, props: FeatureStoreProps) {
    super(scope, id);
    const { config } = props;
    this.personalDataKey = new kms.Key(this, "PersonalDataKey", {
      description: `churnwatch ${config.stage}: tables holding personal data`,
      enableKeyRotation: true,
      removalPolicy: config.removalPolicy,
    });

    const built = {} as Record<TableName, dynamodb.Table>;
    for (const [name, spec] of Object.entries(tables) as [
      TableName,
      (typeof tables)[TableName],
    ][]) {
      built[name] = new dynamodb.Table(this, TABLE_IDS[name], {
        partitionKey: { name: spec.partitionKey, type: dynamodb.AttributeType.STRING },
        ...(spec.sortKey
          ? { sortKey: { name: spec.sortKey, type: dynamodb.AttributeType.STRING } }
          : {}),
        ...(spec.ttlAttribute ? { timeToLiveAttribute: spec.ttlAttribute } : {}),
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        ...(spec.personalData
          ? {
              encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
              encryptionKey: this.personalDataKey,
            }
          : { encryption: dynamodb.TableEncryption.AWS_MANAGED }),
        deletionProtection: config.deletionProtection,
        removalPolicy: config.removalPolicy,
      });
    }
    this.tables = built;
    new CfnOutput(this, "ApiKeysTableName", {
      description: "Onboarding an app puts the SHA-256 hash of its API key here",
      value: built.apiKeys.tableName,
    });
  }

  /** Binds every table the topology lets `fn` use: environment variable and IAM together. */
  bindTables(fn: AppFunction): void {
    for (const [name, access] of Object.entries(fn.spec.access.tables ?? {}) as [
      TableName,
      TableAccess,
    ][]) {
      this.bindTable(fn, name, access);
    }
  }

  /** Tells `fn` the table's name and grants it `access` to the table's data. */
  bindTable(fn: AppFunction, name: TableName, access: TableAccess): void {
    if (fn.spec.access.tables?.[name] !== access) {
      throw new Error(
        `function "${fn.name}" has no ${access} access to table "${name}" in the topology`,
      );
    }
    const table = this.tables[name];
    fn.addEnvironment(tableEnv[name], table.tableName);
    if (!tables[name].personalData) {
      if (access === "read") table.grantReadData(fn);
      else table.grantReadWriteData(fn);
      return;
    }
    // grantReadData adds only kms:Decrypt and kms:DescribeKey; writes get explicit key actions.
    table.grantReadData(fn);
    if (access === "readWrite") {
      table.grant(fn, ...TABLE_WRITE_ACTIONS);
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: KEY_WRITE_ACTIONS,
          resources: [this.personalDataKey.keyArn],
        }),
      );
    }
  }
}
