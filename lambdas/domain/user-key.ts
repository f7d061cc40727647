/** The partition key of everything stored about one user of one app: data of two apps never mix. */
export function userPartitionKey(appId: string, userId: string): string {
  return `APP#${appId}#USER#${userId}`;
}
