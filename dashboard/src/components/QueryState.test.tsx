import { MantineProvider } from '@mantine/core';
import type { UseQueryResult } from '@tanstack/react-query';
import { act, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RequestTimeout } from '../api/client';
import { QueryView, SLOW_AFTER_MS } from './QueryState';

afterEach(() => vi.useRealTimers());

function fakeQuery(state: Partial<UseQueryResult<number[]>>): UseQueryResult<number[]> {
  return {
    isPending: false,
    isError: false,
    isPlaceholderData: false,
    fetchStatus: 'idle',
    data: undefined,
    refetch: vi.fn(),
    ...state,
  } as unknown as UseQueryResult<number[]>;
}

const view = (query: UseQueryResult<number[]>) => (
  <MantineProvider>
    <QueryView query={query} errorTitle="Summary">
      {(data) => <span data-testid="data">{data.join(',')}</span>}
    </QueryView>
  </MantineProvider>
);

describe('QueryView', () => {
  it('turns a request without an answer into an error with Retry after the timeout', () => {
    vi.useFakeTimers();
    const query = fakeQuery({ isPending: true, fetchStatus: 'fetching' });
    render(view(query));
    expect(screen.getByTestId('loading')).toBeTruthy();
    act(() => vi.advanceTimersByTime(SLOW_AFTER_MS - 1));
    expect(screen.queryByTestId('timeout-state')).toBeNull();
    act(() => vi.advanceTimersByTime(1));
    expect(screen.getByTestId('timeout-state').textContent).toContain('Summary: no answer');
    expect(screen.queryByTestId('loading')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(query.refetch).toHaveBeenCalledWith({ cancelRefetch: true });
  });

  it('says "offline" instead of loading while requests are paused', () => {
    render(view(fakeQuery({ isPending: true, fetchStatus: 'paused' })));
    expect(screen.getByTestId('paused-state').textContent).toContain('Offline');
  });

  it('dims the previous figures while the new ones load, in the same elements', () => {
    const { rerender } = render(view(fakeQuery({ data: [1, 2] })));
    const shown = screen.getByTestId('data');
    expect(shown.closest('[aria-busy="true"]')).toBeNull();
    rerender(view(fakeQuery({ data: [1, 2], isPlaceholderData: true, fetchStatus: 'fetching' })));
    expect(screen.getByTestId('data')).toBe(shown); // not re-created: focus inside stays
    expect(shown.closest('[aria-busy="true"]')).not.toBeNull();
    expect(screen.getByRole('status', { name: 'Updating' })).toBeTruthy();
  });

  it('shows a request aborted at the time limit as "no answer", with Retry', () => {
    const query = fakeQuery({ isPending: false, isError: true, error: new RequestTimeout(SLOW_AFTER_MS) });
    render(view(query));
    const state = screen.getByTestId('timeout-state');
    expect(state.textContent).toContain('Summary: no answer');
    expect(state.textContent).toContain('Retry asks again.');
    expect(screen.queryByTestId('error-state')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(query.refetch).toHaveBeenCalled();
  });
});
