/**
 * SageMaker instance types, as the enums of the SDK's own generated model (which AWS generates
 * from the service model), so that a typo such as m5.large is caught before any call.
 * @module
 */

import { ProductionVariantInstanceType, TransformInstanceType } from "@aws-sdk/client-sagemaker";

const INSTANCE_TYPES: readonly string[] = Object.values(ProductionVariantInstanceType);
const TRANSFORM_INSTANCE_TYPES: readonly string[] = Object.values(TransformInstanceType);

const show = (value: unknown) => JSON.stringify(value);

/** A real-time instance type from the SDK's enum (ProductionVariantInstanceType). */
export function checkInstanceType(option: string, value: string): string[] {
  return INSTANCE_TYPES.includes(value) ? [] : [
    `${option} ${show(value)}: not a SageMaker real-time instance type (e.g. ml.t2.medium, ` +
    `ml.m5.large; ${INSTANCE_TYPES.length} are known: ml.FAMILY.SIZE)`,
  ];
}

/** A Batch Transform instance type from the SDK's enum (TransformInstanceType). */
export function checkTransformInstanceType(option: string, value: string): string[] {
  return TRANSFORM_INSTANCE_TYPES.includes(value) ? [] : [
    `${option} ${show(value)}: not a SageMaker Batch Transform instance type (e.g. ml.m5.large; ` +
    `${TRANSFORM_INSTANCE_TYPES.length} are known)`,
  ];
}
