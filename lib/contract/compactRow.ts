/**
 * The compact form of a SUCCEEDED row (row format 2): the same attributes under one-letter
 * names, written only where it saves a whole write unit.
 *
 * DynamoDB bills a write by the item's size in whole 1 KB units, and an item's size counts
 * every attribute's name as well as its value (Amazon DynamoDB Developer Guide, "DynamoDB
 * item sizes and formats",
 * docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html;
 * lib/contract/itemSize.ts). A SUCCEEDED row spends about 90 bytes on names such as
 * `outputEncoding` and `modelLatencyMs`: a 384-value float16 embedding makes a 1,030-byte
 * row, 6 bytes into a second write unit. Renamed, the same row is 948 bytes: one unit.
 *
 * Why only where it buys a unit: the documented names are what users read in the console,
 * in exports and in their own queries, so every row keeps them unless they cost money.
 * A compact row says so with `v: 2` (a row without `v` is the documented form) and keeps
 * `id` (the key), `status` and `expiresAt` (the TTL attribute the table is configured with,
 * and the attributes every condition expression and the pre-check read) under their names,
 * so writes, conditions, the pre-check and TTL treat both forms alike. Every sagebatch
 * reader ({@link readResultRow}, through ResultStore.getRows) gives back the documented form.
 */
import { writeUnits } from './itemSize.js';
import { type ResultRow, ResultStatus } from './resultRow.js';

/** The attribute saying which row format an item holds; absent: the documented form. */
export const ROW_FORMAT_ATTRIBUTE = 'v';

/** The value of {@link ROW_FORMAT_ATTRIBUTE} on a compact row. */
export const COMPACT_ROW_FORMAT = 2;

/** Documented name -> compact name, for the attributes the compact form renames. */
export const compactNames = {
  attempts: 'a',
  messageId: 'm',
  invocationId: 'i',
  enqueuedAt: 'q',
  completedAt: 'c',
  modelLatencyMs: 'l',
  batchItems: 'b',
  output: 'o',
  outputEncoding: 'e',
  outputShape: 's',
} as const satisfies Partial<Record<keyof ResultRow, string>>;

type Renamed = keyof typeof compactNames;

/** A SUCCEEDED row in the compact form, as stored (see the module notes). */
export type CompactRow = { readonly [K in Renamed as (typeof compactNames)[K]]?: ResultRow[K] } & {
  readonly id: string;
  readonly status: typeof ResultStatus.SUCCEEDED;
  readonly v: typeof COMPACT_ROW_FORMAT;
  readonly expiresAt: number;
};

/** A row as written to the table: the documented form, or the compact one. */
export type StoredRow = ResultRow | CompactRow;

const fullNames = Object.fromEntries(
  Object.entries(compactNames).map(([full, short]) => [short, full]),
) as Record<string, string>;

/** `v: 2` costs its name (1 byte) and its number (1 digit: 2 bytes). */
const FORMAT_MARK_BYTES = 3;

/** Bytes one write unit covers (lib/contract/itemSize.ts). */
const WRITE_UNIT_BYTES = 1_024;

/** The most the compact form can save: every renamed attribute present. */
const MAX_SAVINGS =
  Object.entries(compactNames).reduce((n, [full, short]) => n + full.length - short.length, 0) -
  FORMAT_MARK_BYTES;

/** Bytes the compact form of `row` saves (negative when it would add). */
export function compactSavings(row: ResultRow): number {
  let saved = -FORMAT_MARK_BYTES;
  for (const name in compactNames)
    if (row[name as Renamed] !== undefined)
      saved += name.length - compactNames[name as Renamed].length;
  return saved;
}

/**
 * The item to write for `row`, whose size by DynamoDB's rules is `rowBytes`: the compact
 * form for a SUCCEEDED row when that takes fewer write units, else the row itself. Returns
 * the item and its size.
 */
export function storedForm(row: ResultRow, rowBytes: number): { item: StoredRow; bytes: number } {
  // Most rows are far from a unit's edge: they skip even counting the names.
  if (
    row.status !== ResultStatus.SUCCEEDED ||
    rowBytes <= WRITE_UNIT_BYTES ||
    (rowBytes - 1) % WRITE_UNIT_BYTES >= MAX_SAVINGS
  )
    return { item: row, bytes: rowBytes };
  const compactBytes = rowBytes - compactSavings(row);
  if (writeUnits(compactBytes) >= writeUnits(rowBytes)) return { item: row, bytes: rowBytes };
  const item: Record<string, unknown> = { [ROW_FORMAT_ATTRIBUTE]: COMPACT_ROW_FORMAT };
  for (const [name, value] of Object.entries(row))
    if (value !== undefined) item[compactNames[name as Renamed] ?? name] = value;
  return { item: item as CompactRow, bytes: compactBytes };
}

/**
 * A stored item in the documented form: a compact row's attributes renamed back, `v`
 * dropped; any other item as it is. What every sagebatch reader returns.
 */
export function readResultRow(stored: StoredRow | Readonly<Record<string, unknown>>): ResultRow {
  const item = stored as Readonly<Record<string, unknown>>;
  if (item[ROW_FORMAT_ATTRIBUTE] !== COMPACT_ROW_FORMAT) return item as unknown as ResultRow;
  const row: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item))
    if (name !== ROW_FORMAT_ATTRIBUTE) row[fullNames[name] ?? name] = value;
  return row as unknown as ResultRow;
}

/**
 * The attribute names to project to read `attributes` of rows in either form: each
 * documented name, its compact name, and `v`.
 */
export function projectedNames(attributes: readonly string[]): string[] {
  const names = new Set(attributes);
  for (const name of attributes) {
    const short = compactNames[name as Renamed];
    if (short !== undefined) {
      names.add(short);
      names.add(ROW_FORMAT_ATTRIBUTE);
    }
  }
  return [...names];
}
