import { useEffect, useRef } from 'react';
import { PRESETS, type PresetId } from './dateRange';

/** What a key press on the dashboard does (Plausible's shortcuts), or null for none. */
export type ShortcutAction = { kind: 'preset'; preset: PresetId } | { kind: 'shift'; step: -1 | 1 };

/** Whether the key press belongs to something being typed into or operated (then it is not a shortcut). */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT') return true;
  // Menus, listboxes and tabs use the arrow keys themselves.
  return target.closest('[role=listbox],[role=menu],[role=tablist],[role=slider],[role=combobox]') !== null;
}

export function shortcutFor(event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'target'>) {
  if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return null;
  if (event.key === 'ArrowLeft') return { kind: 'shift', step: -1 } satisfies ShortcutAction;
  if (event.key === 'ArrowRight') return { kind: 'shift', step: 1 } satisfies ShortcutAction;
  const preset = PRESETS.find((p) => p.key !== undefined && p.key === event.key.toLowerCase());
  return preset ? ({ kind: 'preset', preset: preset.id } satisfies ShortcutAction) : null;
}

/** Runs `onAction` for the dashboard's keyboard shortcuts while mounted. */
export function useShortcuts(onAction: (action: ShortcutAction) => void, enabled = true): void {
  const latest = useRef(onAction);
  latest.current = onAction;
  useEffect(() => {
    if (!enabled) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.repeat) return;
      const action = shortcutFor(event);
      if (!action) return;
      event.preventDefault();
      latest.current(action);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [enabled]);
}
