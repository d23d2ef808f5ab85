import { Token } from 'aws-cdk-lib';
import type { ModelEndpointProps } from './ModelEndpoint.js';
import { maxIdleBeforeScaleToZero } from './ScaleToZeroAutoscaling.js';

const isInt = (value: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER) =>
  value === undefined ||
  Token.isUnresolved(value) ||
  (Number.isInteger(value) && value >= min && value <= max);

/**
 * Checks a created endpoint's scaling: always-on (`minInstances` >= 1) or scale to zero
 * (`minInstances: 0`, hosted as an inference component), with the options that belong to
 * each. Returns one line per problem.
 */
export function validateEndpointScaling(
  model: ModelEndpointProps | undefined,
  batchSize: number,
): string[] {
  const scaling = model?.scaling;
  if (!model || !scaling) return [];
  const problems: string[] = [];
  const { minInstances, maxInstances } = scaling;
  const toZero = minInstances === 0;
  if (toZero) {
    if (!Number.isInteger(maxInstances) || maxInstances < 1) {
      problems.push(
        `model.scaling with minInstances 0 (scale to zero) needs an integer maxInstances >= 1 (got ${maxInstances})`,
      );
    }
    if (model.instanceCount !== undefined) {
      problems.push(
        'model.instanceCount does not apply to scale to zero (minInstances 0): SageMaker starts instances as copies of the model need them',
      );
    }
    const idle = scaling.idleBeforeScaleToZero;
    if (idle !== undefined) {
      const minutes = idle.toSeconds() / 60;
      if (
        !Number.isInteger(minutes) ||
        minutes < 1 ||
        idle.toSeconds() > maxIdleBeforeScaleToZero.toSeconds()
      ) {
        problems.push(
          `model.scaling.idleBeforeScaleToZero must be whole minutes from 1 minute to 1 day (got ${idle.toSeconds()} s)`,
        );
      }
    }
    const sizing = scaling.copySizing;
    if (!isInt(sizing?.memoryMb, 128)) {
      problems.push(
        `model.scaling.copySizing.memoryMb must be an integer of at least 128 (got ${sizing?.memoryMb})`,
      );
    }
    if (!isInt(sizing?.accelerators, 1)) {
      problems.push(
        `model.scaling.copySizing.accelerators must be an integer of at least 1 (got ${sizing?.accelerators})`,
      );
    }
  } else {
    if (!Number.isInteger(minInstances) || minInstances < 1 || maxInstances < minInstances) {
      problems.push(
        `model.scaling needs integers 1 <= minInstances <= maxInstances (got ${minInstances}..${maxInstances}), or minInstances 0 to scale to zero`,
      );
    }
    if (scaling.idleBeforeScaleToZero !== undefined || scaling.copySizing !== undefined) {
      problems.push(
        'model.scaling.idleBeforeScaleToZero and copySizing apply only to scale to zero (minInstances 0)',
      );
    }
  }
  if ((scaling.backlogPerInstance ?? batchSize) < 1) {
    problems.push('model.scaling.backlogPerInstance must be at least 1');
  }
  return problems;
}
