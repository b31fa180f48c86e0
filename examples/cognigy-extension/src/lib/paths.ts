// Child nodes: the paths a node's Flow continues on, one per kind of result (Cognigy's pattern: the parent
// lists them in `dependencies.children`, each child names the parent in `parentType`, and the parent's
// function continues at one of them with `api.setNextNode(childConfig.id)`). The children are fixed:
// created with the parent, not editable, deletable or movable on their own.
import { createNodeDescriptor, type INodeFunctionBaseParams } from '@cognigy/extension-tools';
import type { LimitedApi } from './limits';

type ChildConfigs = INodeFunctionBaseParams['childConfigs'];

/** White on every header colour: each pair has a contrast ratio of at least 4.5 (WCAG AA for text). */
export const TEXT_COLOR = '#ffffff';

/** Path colours by meaning (white text on each: 6.5:1, 6.3:1, 6.5:1 and 9.0:1). */
export const PATH_COLOR = { good: '#1d6b40', warn: '#8a5300', bad: '#b3261e', pending: '#3b4a63' } as const;

/** A path of `parentType`: a small fixed child node labelled `label`, drawn in `color`. */
export function childPath(type: string, parentType: string, label: string, color: (typeof PATH_COLOR)[keyof typeof PATH_COLOR]) {
  return createNodeDescriptor({
    type,
    parentType,
    defaultLabel: label,
    constraints: {
      editable: false,
      deletable: false,
      creatable: false,
      movable: false,
      placement: { predecessor: { whitelist: [] } },
    },
    appearance: { color, textColor: TEXT_COLOR, variant: 'mini' },
  });
}

/**
 * Continues the Flow at the child of type `type`, when the node has it (a node placed before its children
 * existed has none: the Flow then goes on after the node as before).
 */
export function takePath(api: LimitedApi, childConfigs: ChildConfigs | undefined, type: string): string | null {
  const child = (childConfigs ?? []).find((c) => c.type === type);
  if (!child) return null;
  api.setNextNode(child.id);
  return child.id;
}
