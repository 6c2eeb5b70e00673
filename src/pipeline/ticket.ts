/**
 * Ticket groups: passengers who share a ticket travelled together. TicketGroupSize is the
 * number of training passengers holding the row's ticket (1 for a ticket not seen in
 * training or missing), and FarePerPerson divides the fare (median-imputed) by it, since a
 * ticket's fare covers the whole group.
 * ONNX: ai.onnx.ml.LabelEncoder (ticket -> size) ; Imputer(Fare) ; Div ; Concat.
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
  /** Tickets shared by two or more training passengers, with their counts; others: 1. */
  sizes: StringTable;
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
      sizes: stringTable([...counts].filter(([, n]) => n > 1), 1),
      fareFill: orFallback(median(numericInput(data, "Fare"))),
    };
    return this;
  }

  transform(data: ModelInputs): FeatureBlock {
    const f = requireFitted(this.#fitted, "TicketGroupFeatures");
    const size = lookup(f.sizes, stringInput(data, "Ticket"));
    const fares = numericInput(data, "Fare");
    const perPerson = fares.map((fare, r) => {
      const filled = Number.isNaN(fare) ? f.fareFill : fare;
      return Math.fround(filled / size[r]);
    });
    return { names: ["TicketGroupSize", "FarePerPerson"], columns: [size, perPerson] };
  }

  toOnnx(g: GraphBuilder, tensors: Readonly<Record<string, string>>): string {
    const f = requireFitted(this.#fitted, "TicketGroupFeatures");
    const size = lookupOnnx(g, tensors.Ticket, f.sizes);
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
      sharedTickets: f.sizes.keys.length,
      fareFill: f.fareFill,
    };
  }
}
