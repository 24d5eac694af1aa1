/**
 * DescribeEndpoints and DescribeLimits: account-level information some SDKs request on their own.
 *
 * @module
 */

import type { OperationContext } from "./context.ts";

/**
 * Handles DescribeEndpoints. Clients that use endpoint discovery call it and then send requests to
 * the returned address. Every node serves every operation, so the answer is the address the client
 * already used (its `Host` header), cached for a day.
 */
export function describeEndpoints(
  _input: Record<string, unknown>,
  context: OperationContext,
): Promise<Record<string, unknown>> {
  return Promise.resolve({ Endpoints: [{ Address: context.host, CachePeriodInMinutes: 1440 }] });
}

/** Handles DescribeLimits with DynamoDB's default account and table quotas. */
export function describeLimits(
  _input: Record<string, unknown>,
  _context: OperationContext,
): Promise<Record<string, unknown>> {
  return Promise.resolve({
    AccountMaxReadCapacityUnits: 80000,
    AccountMaxWriteCapacityUnits: 80000,
    TableMaxReadCapacityUnits: 40000,
    TableMaxWriteCapacityUnits: 40000,
  });
}
