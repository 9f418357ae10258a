import { Alert, Button, Group, Skeleton, Stack, Text } from '@mantine/core';
import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { ApiError } from '../api/client';

/** The server answers this way for a route that is not deployed (yet). */
export function isNotAvailable(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 404 || error.status === 405 || error.status === 501);
}

export function describeError(error: unknown): string {
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

interface QueryViewProps<T> {
  query: UseQueryResult<T>;
  children: (data: T) => ReactNode;
  isEmpty?: (data: T) => boolean;
  loading?: ReactNode;
  empty?: ReactNode;
  errorTitle?: string;
}

/** Loading skeleton, error (with retry), empty state, or the data: never an endless spinner. */
export function QueryView<T>({ query, children, isEmpty, loading, empty, errorTitle }: QueryViewProps<T>) {
  if (query.isPending) return <>{loading ?? <SkeletonRows />}</>;
  if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} title={errorTitle} />;
  if (isEmpty?.(query.data)) return <>{empty ?? <EmptyState />}</>;
  return <>{children(query.data)}</>;
}
