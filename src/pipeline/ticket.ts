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
import {
  type FeatureBlock,
  numericInput,
  requireFitted,
  stringInput,
  type Transformer,
} from "./transformer.ts";

interface Fitted {
  /** Tickets shared by two or more training passengers, sorted, with their counts. */
  tickets: string[];
  sizes: number[];
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
    const shared = [...counts].filter(([, n]) => n > 1).sort(([a], [b]) => (a < b ? -1 : 1));
    const fill = median(numericInput(data, "Fare"));
    this.#fitted = {
      tickets: shared.map(([t]) => t),
      sizes: shared.map(([, n]) => n),
      fareFill: Math.fround(Number.isNaN(fill) ? 0 : fill),
    };
    return this;
  }

  transform(data: ModelInputs): FeatureBlock {
    const f = requireFitted(this.#fitted, "TicketGroupFeatures");
    const lookup = new Map(f.tickets.map((t, i) => [t, f.sizes[i]]));
    const tickets = stringInput(data, "Ticket");
    const fares = numericInput(data, "Fare");
    const size = Float32Array.from(tickets, (t) => lookup.get(t) ?? 1);
    const perPerson = fares.map((fare, r) => {
      const filled = Number.isNaN(fare) ? f.fareFill : fare;
      return Math.fround(filled / size[r]);
    });
    return { names: ["TicketGroupSize", "FarePerPerson"], columns: [size, perPerson] };
  }

  toOnnx(g: GraphBuilder, tensors: Readonly<Record<string, string>>): string {
    const f = requireFitted(this.#fitted, "TicketGroupFeatures");
    const size = g.op("LabelEncoder", [tensors.Ticket], {
      domain: ML_DOMAIN,
      attributes: {
        keys_strings: { strings: f.tickets.length ? f.tickets : ["\u0000"] },
        values_floats: { floats: f.tickets.length ? f.sizes : [1] },
        default_float: { float: 1 },
      },
    });
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

  describe(): Record<string, unknown> {
    const f = requireFitted(this.#fitted, "TicketGroupFeatures");
    return {
      step: "TicketGroupFeatures",
      inputs: this.inputs,
      outputs: ["TicketGroupSize", "FarePerPerson"],
      sharedTickets: f.tickets.length,
      fareFill: f.fareFill,
    };
  }
}
