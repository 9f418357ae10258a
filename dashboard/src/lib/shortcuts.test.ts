import { describe, expect, it } from 'vitest';
import { shortcutFor } from './shortcuts';

const press = (key: string, target: EventTarget | null = document.body, mods: Partial<KeyboardEvent> = {}) =>
  shortcutFor({ key, ctrlKey: false, metaKey: false, altKey: false, target, ...mods });

describe('dashboard shortcuts', () => {
  it("maps Plausible's keys to periods and the arrows to previous / next", () => {
    expect(press('d')).toEqual({ kind: 'preset', preset: 'today' });
    expect(press('e')).toEqual({ kind: 'preset', preset: 'yesterday' });
    expect(press('w')).toEqual({ kind: 'preset', preset: '7d' });
    expect(press('t')).toEqual({ kind: 'preset', preset: '30d' });
    expect(press('m')).toEqual({ kind: 'preset', preset: 'month' });
    expect(press('y')).toEqual({ kind: 'preset', preset: '12mo' });
    expect(press('ArrowLeft')).toEqual({ kind: 'shift', step: -1 });
    expect(press('ArrowRight')).toEqual({ kind: 'shift', step: 1 });
    expect(press('x')).toBeNull();
  });

  it('stays out of the way while typing or with a modifier', () => {
    const input = document.createElement('input');
    const area = document.createElement('textarea');
    const menu = document.createElement('div');
    menu.setAttribute('role', 'listbox');
    const option = document.createElement('div');
    menu.append(option);
    expect(press('d', input)).toBeNull();
    expect(press('ArrowLeft', area)).toBeNull();
    expect(press('ArrowLeft', option)).toBeNull();
    expect(press('d', document.body, { ctrlKey: true })).toBeNull();
    expect(press('t', document.body, { metaKey: true })).toBeNull();
  });
});
