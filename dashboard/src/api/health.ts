import { useQuery } from '@tanstack/react-query';
import { apiFetch } from './client';
import type { components } from './schema.gen';

/** One part of the system: `status`, and what is known of it (latency, the worker's lag...). */
export type ComponentState = components['schemas']['HealthComponent'];

export type HealthComponentName = 'redis' | 'users' | 'tracking' | 'worker';

/** GET /api/v1/health: `components` has gateway, redis, users, tracking and worker. */
export type Health = components['schemas']['Health'];

export const healthKey = ['health'] as const;

/** Public: works without a session. */
export function useHealth() {
  return useQuery({
    queryKey: healthKey,
    queryFn: ({ signal }) => apiFetch<Health>('/api/v1/health', { signal }),
    refetchInterval: 60_000,
  });
}
