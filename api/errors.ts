/**
 * Client-visible errors with DynamoDB's exact type names, namespaces, HTTP status codes and
 * messages. Clients parse these strings, so the wording is DynamoDB's, quirks included.
 *
 * Only the HTTP layer (`server.ts`) turns a {@linkcode DynamoDBError} into a response; any other
 * error reaching it becomes `InternalServerError` and is logged with the request id.
 *
 * @module
 */

/** Namespace of service-level errors such as `ResourceNotFoundException`. */
export const SERVICE_NAMESPACE = "com.amazonaws.dynamodb.v20120810";
/** Namespace of request validation errors. */
export const VALIDATE_NAMESPACE = "com.amazon.coral.validate";
/** Namespace of protocol and authentication errors. */
export const CORAL_SERVICE_NAMESPACE = "com.amazon.coral.service";

/** An error returned to the client as a DynamoDB error body. */
export class DynamoDBError extends Error {
  override name = "DynamoDBError";
  /** Short type name, for example `ValidationException`. */
  readonly type: string;
  /** Namespace that prefixes the type in `__type`. */
  readonly namespace: string;
  /** HTTP status code. */
  readonly status: number;
  /** Key of the message in the body: most errors use `message`, a few `Message`. */
  readonly messageKey: "message" | "Message";
  /** Extra top-level body fields, for example `Item` or `CancellationReasons`. */
  readonly extraFields: Record<string, unknown>;

  constructor(
    type: string,
    message: string,
    options: {
      namespace?: string;
      status?: number;
      messageKey?: "message" | "Message";
      extraFields?: Record<string, unknown>;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.type = type;
    this.namespace = options.namespace ?? SERVICE_NAMESPACE;
    this.status = options.status ?? 400;
    this.messageKey = options.messageKey ?? "message";
    this.extraFields = options.extraFields ?? {};
  }

  /** The JSON body DynamoDB sends for this error. */
  toBody(): Record<string, unknown> {
    return {
      __type: `${this.namespace}#${this.type}`,
      [this.messageKey]: this.message,
      ...this.extraFields,
    };
  }
}

/** `ValidationException` (HTTP 400) with `message` verbatim. */
export function validationError(message: string): DynamoDBError {
  return new DynamoDBError("ValidationException", message, { namespace: VALIDATE_NAMESPACE });
}

/**
 * `ValidationException` for a parameter that breaks a modelled constraint, in the form DynamoDB's
 * request validator uses:
 * `1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: ...`.
 */
export function constraintError(
  value: string,
  location: string,
  constraint: string,
): DynamoDBError {
  return validationError(
    `1 validation error detected: Value '${value}' at '${location}' failed to satisfy constraint: ${constraint}`,
  );
}

/** `SerializationException`, which DynamoDB sends with a capitalised `Message` key. */
export function serializationError(message: string): DynamoDBError {
  return new DynamoDBError("SerializationException", message, {
    namespace: CORAL_SERVICE_NAMESPACE,
    messageKey: "Message",
  });
}

/** `ResourceNotFoundException`: a table or index that does not exist. */
export function resourceNotFound(message = "Requested resource not found"): DynamoDBError {
  return new DynamoDBError("ResourceNotFoundException", message);
}

/** `ResourceInUseException`: a table that exists already or is being created or deleted. */
export function resourceInUse(message: string): DynamoDBError {
  return new DynamoDBError("ResourceInUseException", message);
}

/** `ConditionalCheckFailedException`, optionally carrying the old item. */
export function conditionalCheckFailed(
  item?: Record<string, unknown>,
): DynamoDBError {
  return new DynamoDBError("ConditionalCheckFailedException", "The conditional request failed", {
    extraFields: item ? { Item: item } : {},
  });
}

/** `InternalServerError` (HTTP 500). The client sees no internal detail. */
export function internalServerError(cause?: unknown): DynamoDBError {
  return new DynamoDBError("InternalServerError", "Internal server error", {
    status: 500,
    cause,
  });
}
