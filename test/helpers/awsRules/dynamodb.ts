/**
 * DynamoDB's documented limits and error shapes, for the fake table (test/helpers/fakes.ts).
 * One rule per export, each with the AWS page it follows. Items here are document-client
 * values (plain JavaScript), as lib-dynamodb hands them to the mocked client.
 */

/**
 * Maximum item size, 400 KB, counted as the UTF-8 length of every attribute name plus its
 * value. https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html
 * ("Item size") and, for how values count,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
 */
export const maxItemBytes = 400 * 1024;

/**
 * BatchWriteItem: at most 25 put or delete requests and 16 MB a call; two requests for one
 * key in a call are a ValidationException.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html
 */
export const batchWriteMaxRequests = 25;
/** BatchGetItem: at most 100 keys a call; a response stops at 16 MB, the rest in UnprocessedKeys.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html */
export const batchGetMaxKeys = 100;
/**
 * Query: a page stops at 1 MB of items read (or at Limit), the rest from LastEvaluatedKey.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html
 */
export const queryPageMaxBytes = 1024 * 1024;
/** 16 MB per BatchWriteItem request and per BatchGetItem response (pages above). */
export const batchMaxBytes = 16 * 1024 * 1024;

/**
 * Size of one value as DynamoDB counts it (CapacityUnitCalculations.html): strings and
 * binaries by length, numbers about 1 byte per 2 significant digits plus 1, booleans and
 * null 1 byte, lists and maps 3 bytes plus 1 per element plus their elements (map keys
 * counted like attribute names).
 */
export function valueBytes(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number' || typeof value === 'bigint') {
    const digits = String(value)
      .replace(/[-.]|e.*$/gi, '')
      .replace(/^0+|0+$/g, '');
    return Math.ceil(Math.max(1, digits.length) / 2) + 1;
  }
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) return [...value].reduce((n: number, v) => n + valueBytes(v), 0);
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + 1 + valueBytes(v), 3);
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).reduce(
      (n, [k, v]) => n + 1 + Buffer.byteLength(k) + valueBytes(v),
      3,
    );
  }
  return 0;
}

/** An item's size: every attribute's name plus its value (CapacityUnitCalculations.html). */
export function itemBytes(item: Record<string, unknown>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    bytes += Buffer.byteLength(name) + valueBytes(value);
  }
  return bytes;
}

/** An error as the SDK raises it for a DynamoDB error response (400 unless told). */
function awsError(name: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  });
}

/**
 * Error shapes, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
 * (all HTTP 400): a failed condition, throughput past the table's provisioned or on-demand
 * limits, request-rate throttling, and a request DynamoDB refuses as invalid.
 */
export const DynamoErrors = {
  conditionalCheckFailed: () =>
    awsError('ConditionalCheckFailedException', 'The conditional request failed'),
  throughputExceeded: () =>
    awsError(
      'ProvisionedThroughputExceededException',
      'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
    ),
  throttling: () =>
    awsError('ThrottlingException', 'Rate of requests exceeds the allowed throughput.'),
  validation: (message: string) => awsError('ValidationException', message),
} as const;

/** Refuses an item DynamoDB would not store (ServiceQuotas.html, "Item size"). */
export function checkItemSize(item: Record<string, unknown>): void {
  if (itemBytes(item) > maxItemBytes)
    throw DynamoErrors.validation('Item size has exceeded the maximum allowed size');
}

/** Refuses a BatchWriteItem DynamoDB would refuse whole (API_BatchWriteItem.html). */
export function checkBatchWrite(
  items: readonly Record<string, unknown>[],
  keyOf: (item: Record<string, unknown>) => string,
): void {
  if (items.length > batchWriteMaxRequests) {
    throw DynamoErrors.validation('Too many items requested for the BatchWriteItem call');
  }
  const keys = new Set(items.map(keyOf));
  if (keys.size !== items.length)
    throw DynamoErrors.validation('Provided list of item keys contains duplicates');
  for (const item of items) checkItemSize(item);
  if (items.reduce((n, item) => n + itemBytes(item), 0) > batchMaxBytes)
    throw DynamoErrors.validation('Item collection size exceeds the 16 MB request limit');
}

/** Refuses a BatchGetItem DynamoDB would refuse whole (API_BatchGetItem.html). */
export function checkBatchGet(keys: readonly string[]): void {
  if (keys.length > batchGetMaxKeys)
    throw DynamoErrors.validation('Too many items requested for the BatchGetItem call');
  if (new Set(keys).size !== keys.length)
    throw DynamoErrors.validation('Provided list of item keys contains duplicates');
}

/**
 * Whether a ConditionExpression holds for `item` (undefined: no item). The subset
 * sagebatch writes: `attribute_exists`, `attribute_not_exists`, `= <> < <= > >=`, AND, OR,
 * NOT and parentheses, with `#name` and `:value` placeholders. A comparison with a missing
 * attribute is false.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html
 */
export function conditionHolds(
  expression: string,
  names: Record<string, string> = {},
  values: Record<string, unknown> = {},
  item: Record<string, unknown> | undefined,
): boolean {
  const tokens = expression.match(/\(|\)|<>|<=|>=|=|<|>|[#:]?[A-Za-z_][A-Za-z0-9_]*/g) ?? [];
  let at = 0;
  const peek = () => tokens[at];
  const take = (want?: string) => {
    const token = tokens[at++];
    if (want !== undefined && token?.toUpperCase() !== want)
      throw DynamoErrors.validation(
        `Invalid ConditionExpression: expected ${want} in ${expression}`,
      );
    return token!;
  };
  const attribute = (token: string) => {
    const name = token.startsWith('#') ? names[token] : token;
    if (name === undefined) throw DynamoErrors.validation(`Unknown attribute name ${token}`);
    return name;
  };
  const operand = (token: string): { present: boolean; value: unknown } => {
    if (token.startsWith(':')) {
      if (!(token in values)) throw DynamoErrors.validation(`Unknown attribute value ${token}`);
      return { present: true, value: values[token] };
    }
    const name = attribute(token);
    return { present: item !== undefined && item[name] !== undefined, value: item?.[name] };
  };
  const primary = (): boolean => {
    const token = take();
    if (token === '(') {
      const inner = or();
      take(')');
      return inner;
    }
    if (token.toUpperCase() === 'NOT') return !primary();
    if (token === 'attribute_exists' || token === 'attribute_not_exists') {
      take('(');
      const present = operand(take()).present;
      take(')');
      return token === 'attribute_exists' ? present : !present;
    }
    const left = operand(token);
    const comparator = take();
    const right = operand(take());
    if (!left.present || !right.present) return false;
    const [a, b] = [left.value as number | string, right.value as number | string];
    switch (comparator) {
      case '=':
        return a === b;
      case '<>':
        return a !== b;
      case '<':
        return a < b;
      case '<=':
        return a <= b;
      case '>':
        return a > b;
      case '>=':
        return a >= b;
      default:
        throw DynamoErrors.validation(`Unsupported comparator ${comparator}`);
    }
  };
  const and = (): boolean => {
    let result = primary();
    while (peek()?.toUpperCase() === 'AND') {
      take();
      result = primary() && result;
    }
    return result;
  };
  const or = (): boolean => {
    let result = and();
    while (peek()?.toUpperCase() === 'OR') {
      take();
      result = and() || result;
    }
    return result;
  };
  const result = or();
  if (at !== tokens.length)
    throw DynamoErrors.validation(`Invalid ConditionExpression: ${expression}`);
  return result;
}
