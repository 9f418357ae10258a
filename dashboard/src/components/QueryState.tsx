import { Alert, Box, Button, Group, Loader, Skeleton, Stack, Text } from '@mantine/core';
import type { UseQueryResult } from '@tanstack/react-query';
import { useEffect, useState, type ReactNode } from 'react';
import { ApiError, isTimeout, REQUEST_TIMEOUT_MS } from '../api/client';

/**
 * After this long without an answer, a report says so (with Retry) instead of loading on; the
 * request itself is aborted at the same limit (api/client.ts).
 */
export const SLOW_AFTER_MS = REQUEST_TIMEOUT_MS;

/** True once `active` has stayed true for `ms`. */
export function useSlow(active: boolean, ms = SLOW_AFTER_MS): boolean {
  const [slow, setSlow] = useState(false);
  useEffect(() => {
    if (!active) {
      setSlow(false);
      return;
    }
    const timer = setTimeout(() => setSlow(true), ms);
    return () => clearTimeout(timer);
  }, [active, ms]);
  return slow;
}

/** The server answers this way for a route that is not deployed (yet). */
export function isNotAvailable(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 404 || error.status === 405 || error.status === 501);
}

export function describeError(error: unknown): string {
  if (isTimeout(error))
    return `The server has not answered for ${error.timeoutMs / 1000} seconds; it may be busy. Try again.`;
  if (error instanceof ApiError) {
    if (isNotAvailable(error)) return `Not available yet: the server does not provide this (HTTP ${error.status}).`;
    if (error.status === 0) return 'Cannot reach the server. Check your connection.';
    if (error.status === 429) return 'Too many requests; try again in a moment.';
    return error.message;
  }
  return error instanceof Error ? error.message : 'Something went wrong';
}

interface ErrorStateProps {
  error: unknown;
  onRetry?: () => void;
  /** What failed, when the surrounding card does not already say it. */
  title?: string;
}

/** A failed request: red for errors, neutral grey for a report the server does not provide yet. */
export function ErrorState({ error, onRetry, title }: ErrorStateProps) {
  const missing = isNotAvailable(error);
  const heading = missing ? (title ? `${title}: not available yet` : 'Not available yet') : (title ?? 'Could not load');
  const text = missing
    ? `The server does not provide this report yet (HTTP ${(error as ApiError).status}).`
    : describeError(error);
  return (
    <Alert color={missing ? 'gray' : 'red'} variant="light" title={heading} data-testid="error-state">
      <Group justify="space-between" gap="xs" wrap="nowrap" align="flex-start">
        <Text size="sm">{text}</Text>
        {onRetry && (
          <Button
            size="compact-xs"
            variant="subtle"
            color={missing ? 'gray' : 'red'}
            onClick={onRetry}
            aria-label={`Retry${title ? `: ${title}` : ''}`}
            style={{ flexShrink: 0 }}
          >
            Retry
          </Button>
        )}
      </Group>
    </Alert>
  );
}

export function EmptyState({ children = 'No data for this period' }: { children?: ReactNode }) {
  return (
    <Text c="dimmed" size="sm" ta="center" py="lg" data-testid="empty-state">
      {children}
    </Text>
  );
}

export function SkeletonRows({ rows = 5, height = 22 }: { rows?: number; height?: number }) {
  return (
    <Stack gap={8} data-testid="loading" aria-busy="true" aria-label="Loading">
      {Array.from({ length: rows }, (_, i) => (
        <Skeleton key={i} height={height} radius="sm" />
      ))}
    </Stack>
  );
}

/**
 * No answer within SLOW_AFTER_MS: an error with Retry, never an endless skeleton. `gaveUp`: the
 * request was aborted at the time limit (otherwise a retry is still under way).
 */
export function TimeoutState({
  onRetry,
  title,
  gaveUp = false,
}: {
  onRetry?: () => void;
  title?: string;
  gaveUp?: boolean;
}) {
  return (
    <Alert color="red" variant="light" title={title ? `${title}: no answer` : 'No answer'} data-testid="timeout-state">
      <Group justify="space-between" gap="xs" wrap="nowrap" align="flex-start">
        <Text size="sm">
          The server has not answered for {SLOW_AFTER_MS / 1000} seconds. It may be busy or unreachable;{' '}
          {gaveUp ? 'Retry asks again.' : 'this keeps waiting.'}
        </Text>
        {onRetry && (
          <Button size="compact-xs" variant="subtle" color="red" onClick={onRetry} style={{ flexShrink: 0 }}>
            Retry
          </Button>
        )}
      </Group>
    </Alert>
  );
}

/** Offline: TanStack Query holds requests until the network is back. */
export function PausedState() {
  return (
    <Alert color="gray" variant="light" title="Offline" data-testid="paused-state">
      <Text size="sm">This loads when the connection is back.</Text>
    </Alert>
  );
}

/**
 * Figures of the previous period (or filters) while the new ones load: kept in place (same
 * elements, so focus stays), dimmed, marked busy, with a spinner.
 */
export function Stale({ busy, children }: { busy: boolean; children: ReactNode }) {
  return (
    <Box
      pos="relative"
      aria-busy={busy}
      data-stale={busy ? 'true' : undefined}
      style={{ opacity: busy ? 0.45 : 1, transition: 'opacity 150ms' }}
    >
      {children}
      {busy && (
        <Loader size="xs" pos="absolute" top={0} right={0} aria-label="Updating" data-testid="updating" role="status" />
      )}
    </Box>
  );
}

interface QueryViewProps<T> {
  query: UseQueryResult<T>;
  children: (data: T) => ReactNode;
  isEmpty?: (data: T) => boolean;
  loading?: ReactNode;
  empty?: ReactNode;
  errorTitle?: string;
}

/**
 * Loading skeleton, error (with retry), empty state, or the data: never an endless spinner. While
 * a new range loads, the old figures stay dimmed; no answer within SLOW_AFTER_MS is an error.
 */
export function QueryView<T>({ query, children, isEmpty, loading, empty, errorTitle }: QueryViewProps<T>) {
  const waiting = query.isPending || query.isPlaceholderData;
  const slow = useSlow(waiting && query.fetchStatus === 'fetching');
  const retry = () => void query.refetch({ cancelRefetch: true });
  if (query.isPending) {
    if (query.fetchStatus === 'paused') return <PausedState />;
    if (slow) return <TimeoutState onRetry={retry} title={errorTitle} />;
    return <>{loading ?? <SkeletonRows />}</>;
  }
  if (query.isError) {
    if (isTimeout(query.error)) return <TimeoutState onRetry={retry} title={errorTitle} gaveUp />;
    return <ErrorState error={query.error} onRetry={retry} title={errorTitle} />;
  }
  const body = isEmpty?.(query.data) ? (empty ?? <EmptyState />) : children(query.data);
  return (
    <>
      {slow && <TimeoutState onRetry={retry} title={errorTitle} />}
      <Stale busy={query.isPlaceholderData}>{body}</Stale>
    </>
  );
}
