/**
 * Write batches on their way into the commit loop: validation, defensive copies and grouping.
 *
 * @module
 */

import { MAX_KEY_BYTES, MAX_VALUE_BYTES, StorageError, type WriteOperation } from "./engine.ts";
import { encodedOperationBytes } from "./wal_format.ts";

/** Upper bound on the encoded operations of one commit group, in bytes. */
export const MAX_GROUP_BYTES = 4 * 1024 * 1024;

/** A queued batch and the callbacks of its `write` promise. */
export interface PendingWrite {
  operations: WriteOperation[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Checks one operation against the key and value limits and returns a copy, so a caller that
 * reuses its arrays before the write resolves cannot change what is stored. Throws an
 * "invalid-argument" StorageError naming the violated limit.
 */
export function copyValidOperation(operation: WriteOperation): WriteOperation {
  if (!(operation.key instanceof Uint8Array)) {
    throw new StorageError("invalid-argument", "write operation key must be a Uint8Array");
  }
  if (operation.key.length > MAX_KEY_BYTES) {
    throw new StorageError(
      "invalid-argument",
      `key of ${operation.key.length} bytes exceeds the maximum of ${MAX_KEY_BYTES}`,
    );
  }
  if (operation.kind === "delete") return { kind: "delete", key: operation.key.slice() };
  if (operation.kind !== "put" || !(operation.value instanceof Uint8Array)) {
    throw new StorageError(
      "invalid-argument",
      "write operation must be a put with a Uint8Array value or a delete",
    );
  }
  if (operation.value.length > MAX_VALUE_BYTES) {
    throw new StorageError(
      "invalid-argument",
      `value of ${operation.value.length} bytes exceeds the maximum of ${MAX_VALUE_BYTES}`,
    );
  }
  return { kind: "put", key: operation.key.slice(), value: operation.value.slice() };
}

/**
 * Removes and returns the next commit group from the front of `queue`: every batch while the
 * group stays within {@linkcode MAX_GROUP_BYTES}, and always at least one batch.
 */
export function takeGroup(queue: PendingWrite[]): PendingWrite[] {
  let groupBytes = 0;
  let count = 0;
  while (count < queue.length) {
    let bytes = 0;
    for (const operation of queue[count]!.operations) bytes += encodedOperationBytes(operation);
    if (count > 0 && groupBytes + bytes > MAX_GROUP_BYTES) break;
    groupBytes += bytes;
    count++;
  }
  return queue.splice(0, count);
}
