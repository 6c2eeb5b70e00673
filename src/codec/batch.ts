/**
 * A request's records written straight into the model's input columns: each raw value goes
 * through the schema's checks (values.ts) and lands in its graph input's float32 or string
 * array, or, for a field the graph does not take, is checked and dropped. PassengerId is kept
 * for the answer. No intermediate columns, no copies when the batch is handed to onnxruntime.
 * @module
 */

import { ColumnBuilder, type Storage } from "./columns.ts";
import { inputSpec, type ModelInputs } from "./inputs.ts";
import { PASSENGER_FIELDS } from "./schema.ts";

/** Records as the graph takes them, and their PassengerIds (NaN when absent). */
export interface ModelBatch {
  readonly length: number;
  readonly ids: Float64Array;
  readonly inputs: ModelInputs;
}

const ID_FIELD = PASSENGER_FIELDS.findIndex((f) => f.name === "PassengerId");

/** A {@link ColumnBuilder} keeping the graph inputs `inputNames` and PassengerId. */
export class BatchBuilder extends ColumnBuilder {
  constructor(readonly inputNames: readonly string[], capacity: number) {
    super(
      PASSENGER_FIELDS.map((field, f): Storage => {
        if (f === ID_FIELD) return "float64";
        if (!inputNames.includes(field.name)) return undefined;
        return inputSpec(field.name).type === "string" ? "string" : "float32";
      }),
      capacity,
    );
    for (const name of inputNames) inputSpec(name); // an unknown input fails here, not later
  }

  /** The batch pushed so far. */
  build(): ModelBatch {
    const ids = this.column(ID_FIELD) as Float64Array;
    const inputs: ModelInputs = {};
    for (const name of this.inputNames) {
      const f = PASSENGER_FIELDS.findIndex((field) => field.name === name);
      const column = this.column(f)!;
      // PassengerId is kept as float64 for the answer; as an input it is float32.
      inputs[name] = column instanceof Float64Array ? Float32Array.from(column) : column;
    }
    return { length: this.length, ids, inputs };
  }
}
