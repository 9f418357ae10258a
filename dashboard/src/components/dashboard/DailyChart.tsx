import { Card, Skeleton } from '@mantine/core';
import { lazy, Suspense } from 'react';
import type { StatsQuery } from '../../api/hooks';

// recharts is the largest dependency: load it with the chart, not with the sign-in page.
const DailyChartView = lazy(() => import('./DailyChartView'));

export function DailyChart({ query }: { query: StatsQuery }) {
  return (
    <Suspense
      fallback={
        <Card withBorder padding="md">
          <Skeleton height={300} data-testid="loading" />
        </Card>
      }
    >
      <DailyChartView query={query} />
    </Suspense>
  );
}
