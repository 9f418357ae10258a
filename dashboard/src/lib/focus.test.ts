import { afterEach, describe, expect, it, vi } from 'vitest';
import { keepFocus } from './focus';

afterEach(() => {
  vi.useRealTimers();
  document.body.innerHTML = '';
});

describe('keepFocus', () => {
  it('moves focus to the fallback when the focused element goes away', () => {
    vi.useFakeTimers();
    const row = document.createElement('button');
    const chip = document.createElement('button');
    document.body.append(row, chip);
    row.focus();
    const stop = keepFocus(() => chip);
    vi.advanceTimersByTime(300);
    expect(document.activeElement).toBe(row); // still there: left alone
    row.remove();
    vi.advanceTimersByTime(150);
    expect(document.activeElement).toBe(chip);
    stop();
  });

  it('stops when the user moves on, and after the time is up', () => {
    vi.useFakeTimers();
    const row = document.createElement('button');
    const other = document.createElement('input');
    const chip = document.createElement('button');
    document.body.append(row, other, chip);
    row.focus();
    keepFocus(() => chip);
    other.focus();
    other.remove();
    vi.advanceTimersByTime(500);
    expect(document.activeElement).toBe(document.body);
  });
});
