import { Card, Skeleton } from '@mantine/core';
import { lazy, Suspense } from 'react';
import type { ChartProps } from './ChartView';

// recharts is the largest dependency: load it with the chart, not with the sign-in page.
const ChartView = lazy(() => import('./ChartView'));

export function Chart(props: ChartProps) {
  return (
    <Suspense
      fallback={
        <Card withBorder padding="md">
          <Skeleton height={300} data-testid="loading" />
        </Card>
      }
    >
      <ChartView {...props} />
    </Suspense>
  );
}
