/**
 * The mitigation definitions read out of (signed) EOCS content: each Config (id, desc) and its
 * actions. CONFIRMED shape: <EOCS><Config id desc><ActionList><Action type scope desc><Value>.
 * Real mitigations other than PING1 have never been published, so everything else is INFERRED:
 * the reader keeps every unknown attribute and accepts an Action outside an ActionList.
 */
import { childElements } from './safe-xml.js';
import type { FeedAction, FeedConfig } from './feed-types.js';

function attr(element: Element, name: string): string {
  return element.hasAttribute(name) ? (element.getAttribute(name) ?? '') : '';
}

function otherAttributes(element: Element, known: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < element.attributes.length; i += 1) {
    const a = element.attributes.item(i);
    // defineProperty, not assignment: an attribute named "__proto__" stays a plain entry.
    if (a && !known.includes(a.name) && !a.name.startsWith('xmlns')) Object.defineProperty(out, a.name, { value: a.value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function readAction(action: Element): FeedAction {
  const value = childElements(action).find((e) => e.localName === 'Value');
  return {
    type: attr(action, 'type'),
    scope: attr(action, 'scope'),
    desc: attr(action, 'desc'),
    value: value ? (value.textContent ?? '') : '',
    attributes: otherAttributes(action, ['type', 'scope', 'desc']),
  };
}

/** Read every Config child of the root element (call it on signed content only). */
export function readConfigs(root: Element): FeedConfig[] {
  return childElements(root)
    .filter((e) => e.localName === 'Config')
    .map((config) => {
      const actions: FeedAction[] = [];
      for (const child of childElements(config)) {
        if (child.localName === 'ActionList') {
          for (const action of childElements(child)) if (action.localName === 'Action') actions.push(readAction(action));
        } else if (child.localName === 'Action') {
          actions.push(readAction(child));
        }
      }
      return { id: attr(config, 'id'), desc: attr(config, 'desc'), actions, attributes: otherAttributes(config, ['id', 'desc']) };
    });
}
