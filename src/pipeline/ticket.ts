/**
 * Ticket groups: passengers who share a ticket travelled together. TicketGroupSize is the
 * size of the passenger's group as the training rows show it: the passenger plus the
 * training passengers holding the same ticket (1 for a missing ticket or one not seen in
 * training). For a training row that is the number of holders, itself included
 * ({@link TicketGroupFeatures.fitTransform}), so it means the same for a row seen in training
 * and for a new passenger (who is not among the training holders). FarePerPerson divides the
 * fare (median-imputed) by it, since a ticket's fare covers the whole group.
 * ONNX: ai.onnx.ml.LabelEncoder (ticket -> holders) ; Add(1) ; Imputer(Fare) ; Div ; Concat.
 * @module
 */

import type { ModelInputs } from "../codec/inputs.ts";
import { type GraphBuilder, ML_DOMAIN } from "../onnx/builder.ts";
import { median } from "./impute.ts";
import { lookup, lookupOnnx, orFallback, type StringTable, stringTable } from "./lookup.ts";
import {
  type FeatureBlock,
  numericInput,
  requireFitted,
  stringInput,
  type Transformer,
} from "./transformer.ts";

interface Fitted {
  /** Training passengers holding each ticket; 0 for others. */
  holders: StringTable;
  fareFill: number;
}

/** Group size and fare per person from Ticket and Fare. */
export class TicketGroupFeatures implements Transformer {
  readonly inputs: readonly string[] = ["Ticket", "Fare"];
  #fitted?: Fitted;

  fit(data: ModelInputs): this {
    const counts = new Map<string, number>();
    for (const t of stringInput(data, "Ticket")) {
      if (t !== "") counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    this.#fitted = {
      holders: stringTable(counts, 0),
      fareFill: orFallback(median(numericInput(data, "Fare"))),
    };
    return this;
  }

  /** New passengers: the training holders of their ticket, plus themselves. */
  transform(data: ModelInputs): FeatureBlock {
    const f = requireFitted(this.#fitted, "TicketGroupFeatures");
    const size = lookup(f.holders, stringInput(data, "Ticket")).map((n) => n + 1);
    return this.#block(data, f, size);
  }

  /** Training rows: the holders of their ticket, themselves among them (leave-one-out). */
  fitTransform(data: ModelInputs, _y: Uint8Array): FeatureBlock {
    const f = this.fit(data).#fitted!;
    const size = lookup(f.holders, stringInput(data, "Ticket")).map((n) => Math.max(n, 1));
    return this.#block(data, f, size);
  }

  #block(data: ModelInputs, f: Fitted, size: Float32Array): FeatureBlock {
    const fares = numericInput(data, "Fare");
    const perPerson = fares.map((fare, r) => {
      const filled = Number.isNaN(fare) ? f.fareFill : fare;
      return Math.fround(filled / size[r]);
    });
    return { names: ["TicketGroupSize", "FarePerPerson"], columns: [size, perPerson] };
  }

  toOnnx(g: GraphBuilder, tensors: Readonly<Record<string, string>>): string {
    const f = requireFitted(this.#fitted, "TicketGroupFeatures");
    const size = g.op("Add", [
      lookupOnnx(g, tensors.Ticket, f.holders),
      g.floats("one", [1], [1, 1]),
    ]);
    const fare = g.op("Imputer", [tensors.Fare], {
      domain: ML_DOMAIN,
      attributes: {
        imputed_value_floats: { floats: [f.fareFill] },
        replaced_value_float: { float: NaN },
      },
    });
    const perPerson = g.op("Div", [fare, size]);
    return g.op("Concat", [size, perPerson], { attributes: { axis: { int: 1 } } });
  }

  /** The group size is the ticket's; the fare per person needs the fare too. */
  featureInputs(): string[][] {
    return [["Ticket"], ["Ticket", "Fare"]];
  }

  describe(): Record<string, unknown> {
    const f = requireFitted(this.#fitted, "TicketGroupFeatures");
    return {
      step: "TicketGroupFeatures",
      inputs: this.inputs,
      outputs: ["TicketGroupSize", "FarePerPerson"],
      tickets: f.holders.keys.length,
      sharedTickets: f.holders.values.filter((n) => n > 1).length,
      fareFill: f.fareFill,
    };
  }
}
