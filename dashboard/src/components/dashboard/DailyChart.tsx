import { Card, Skeleton } from '@mantine/core';
import { lazy, Suspense } from 'react';
import type { DailyChartProps } from './DailyChartView';

// recharts is the largest dependency: load it with the chart, not with the sign-in page.
const DailyChartView = lazy(() => import('./DailyChartView'));

export function DailyChart(props: DailyChartProps) {
  return (
    <Suspense
      fallback={
        <Card withBorder padding="md">
          <Skeleton height={300} data-testid="loading" />
        </Card>
      }
    >
      <DailyChartView {...props} />
    </Suspense>
  );
}
