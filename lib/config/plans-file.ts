/**
 * Reads and validates the plans config at synth time, so a typo in config/plans.json fails
 * `cdk synth` (naming the entry) instead of the first real payment.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parsePlansConfig, type PlansConfig } from '../../lambdas/domain/plans';

/** The project root (this file lives in lib/config/). */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

export function resolveProjectPath(file: string): string {
  return path.isAbsolute(file) ? file : path.join(PROJECT_ROOT, file);
}

/** Loads the plans config file; throws naming the file when it is missing or not JSON, and passes parsePlansConfig's message (which names the entry) through. */
export function loadPlansFile(file: string): PlansConfig {
  const absolute = resolveProjectPath(file);
  let text: string;
  try {
    text = fs.readFileSync(absolute, 'utf8');
  } catch (error) {
    throw new Error(`Cannot read plans config ${absolute}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`Plans config ${absolute} is not valid JSON: ${(error as Error).message}`);
  }
  return validatePlans(json, absolute);
}

/** Validates an already-parsed plans config (tests inject one); `origin` names it in the error. */
export function validatePlans(input: unknown, origin: string): PlansConfig {
  try {
    return parsePlansConfig(input);
  } catch (error) {
    throw new Error(`${origin}: ${(error as Error).message}`, { cause: error });
  }
}
