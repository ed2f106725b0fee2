/**
 * Builds the real app (lib/stripe-licensing-app.ts) for a stage and hands out its templates.
 * Bundling is skipped here (context `aws:cdk:bundling-stacks: []`): the Lambda code is bundled and
 * loaded for real in bundling.test.ts, and `cdk synth` bundles it too.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildStripeLicensingApp, type StripeLicensingApp } from '../../../lib/stripe-licensing-app';

export interface SynthOptions {
  context?: Record<string, unknown>;
  plans?: unknown;
  nagChecks?: boolean;
  /** Bundle the Lambdas for real (slower); default false. */
  bundle?: boolean;
}

export interface SynthesizedStage extends StripeLicensingApp {
  statefulTemplate: Template;
  serviceTemplate: Template;
}

export function buildStage(stage: 'test' | 'live', options: SynthOptions = {}): StripeLicensingApp {
  const context: Record<string, unknown> = { stage, ...options.context };
  if (!options.bundle) context['aws:cdk:bundling-stacks'] = [];
  return buildStripeLicensingApp({ app: new App({ context }), plans: options.plans, nagChecks: options.nagChecks ?? false });
}

/** Builds and synthesizes a stage once; the templates are parsed once and shared by a file's tests. */
export function synthStage(stage: 'test' | 'live', options: SynthOptions = {}): SynthesizedStage {
  const built = buildStage(stage, options);
  return {
    ...built,
    statefulTemplate: Template.fromStack(built.stateful),
    serviceTemplate: Template.fromStack(built.service),
  };
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;

/** The resources of one type, keyed by logical id. */
export function resourcesOfType(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

/** The single resource of a type that matches `predicate`; fails loudly if there is not exactly one. */
export function onlyResource(template: Template, type: string, predicate: (props: Record<string, unknown>) => boolean = () => true) {
  const matches = Object.entries(resourcesOfType(template, type)).filter(([, r]) => predicate(r.Properties ?? {}));
  if (matches.length !== 1) throw new Error(`expected exactly one ${type} to match, found ${matches.length}`);
  const [logicalId, resource] = matches[0];
  return { logicalId, ...resource, Properties: resource.Properties ?? {} };
}

/**
 * Replaces every `Fn::ImportValue` in `value` with what the producing (stateful) template exports
 * under that name, so a service-stack reference can be compared with `{Ref: …}`/`{Fn::GetAtt: …}`
 * of the stateful resource it points at.
 */
export function resolveImports(value: unknown, producer: Template): unknown {
  const outputs = producer.toJSON().Outputs as Record<string, { Value: unknown; Export?: { Name: string } }> | undefined;
  const exports = new Map<string, unknown>();
  for (const output of Object.values(outputs ?? {})) if (output.Export) exports.set(output.Export.Name, output.Value);
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === 'object') {
      const entries = Object.entries(node as Record<string, unknown>);
      if (entries.length === 1 && entries[0][0] === 'Fn::ImportValue') {
        const name = entries[0][1] as string;
        if (!exports.has(name)) throw new Error(`no export named ${name}`);
        return exports.get(name);
      }
      return Object.fromEntries(entries.map(([k, v]) => [k, walk(v)]));
    }
    return node;
  };
  return walk(value);
}

export const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
export const refOf = (logicalId: string) => ({ Ref: logicalId });
