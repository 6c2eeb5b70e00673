/**
 * The raw passenger record: the fields a caller may send, their types and the values that
 * make sense. The data loader, `predict` and the server all validate against this table.
 * @module
 */

/** How a raw field is typed. */
export type FieldKind = "number" | "integer" | "string";

/** One raw passenger field. */
export interface RawField {
  readonly name: string;
  readonly kind: FieldKind;
  /** A record without this field is rejected. */
  readonly required: boolean;
  /** The only values accepted, when the field is categorical. */
  readonly allowed?: readonly (string | number)[];
  /** Inclusive bounds for numbers. */
  readonly min?: number;
  readonly max?: number;
  readonly description: string;
}

/**
 * A field with every property present, in one order: the checks read `allowed`, `min` and
 * `max` of each field per value, and objects of one shape keep those reads monomorphic
 * (eleven literal shapes made them megamorphic).
 */
const field = (f: RawField): RawField => ({
  name: f.name,
  kind: f.kind,
  required: f.required,
  allowed: f.allowed,
  min: f.min,
  max: f.max,
  description: f.description,
});

/** Every raw field, in the column order of Kaggle's test.csv (train.csv adds `Survived`). */
export const PASSENGER_FIELDS: readonly RawField[] = ([
  {
    name: "PassengerId",
    kind: "integer",
    required: false,
    min: 0,
    // Echoed in the answer: above 2^53 a number would come back as another one.
    max: Number.MAX_SAFE_INTEGER,
    description: "identifier, echoed in predictions",
  },
  {
    name: "Pclass",
    kind: "integer",
    required: true,
    allowed: [1, 2, 3],
    description: "ticket class",
  },
  { name: "Name", kind: "string", required: false, description: `"Surname, Title. Given names"` },
  {
    name: "Sex",
    kind: "string",
    required: true,
    allowed: ["male", "female"],
    description: "male or female",
  },
  { name: "Age", kind: "number", required: false, min: 0, max: 150, description: "age in years" },
  {
    name: "SibSp",
    kind: "integer",
    required: false,
    min: 0,
    max: 100,
    description: "siblings and spouses aboard",
  },
  {
    name: "Parch",
    kind: "integer",
    required: false,
    min: 0,
    max: 100,
    description: "parents and children aboard",
  },
  { name: "Ticket", kind: "string", required: false, description: "ticket number" },
  {
    name: "Fare",
    kind: "number",
    required: false,
    min: 0,
    max: 100_000,
    description: "fare paid (pounds)",
  },
  { name: "Cabin", kind: "string", required: false, description: "cabin number(s)" },
  {
    name: "Embarked",
    kind: "string",
    required: false,
    allowed: ["C", "Q", "S"],
    description: "port: C, Q or S",
  },
] satisfies RawField[]).map(field);

/** The label column of train.csv. */
export const LABEL_FIELD: RawField = field({
  name: "Survived",
  kind: "integer",
  required: true,
  allowed: [0, 1],
  description: "1 if the passenger survived",
});

/** Column order of a header-less CSV body (Kaggle's test.csv, as Batch Transform sends it). */
export const HEADERLESS_COLUMNS: readonly string[] = PASSENGER_FIELDS.map((f) => f.name);

/**
 * The columns of a header-less CSV body `width` fields wide: Kaggle's test.csv order, or
 * train.csv's (the label second); undefined for any other width.
 */
export function headerlessColumns(width: number): readonly string[] | undefined {
  if (width === HEADERLESS_COLUMNS.length) return HEADERLESS_COLUMNS;
  if (width === HEADERLESS_COLUMNS.length + 1) {
    return [HEADERLESS_COLUMNS[0], LABEL_FIELD.name, ...HEADERLESS_COLUMNS.slice(1)];
  }
  return undefined;
}

export const FIELD_BY_NAME: ReadonlyMap<string, RawField> = new Map(
  PASSENGER_FIELDS.map((f) => [f.name, f]),
);
