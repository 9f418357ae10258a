import { Group, Stack, Text, Title } from '@mantine/core';
import { useRef, type ReactNode } from 'react';
import { rangeLabel } from '../../lib/dateRange';
import { useShortcuts } from '../../lib/shortcuts';
import type { useDashboardParams } from '../../lib/useDashboardParams';
import { FilterChips } from './FilterChips';
import { RangePicker } from './RangePicker';

/**
 * A report page's heading with the dashboard's period (picker, keys) and filter chips: the same
 * URL parameters as the dashboard, so its period and filters carry over.
 */
export function PeriodHeader({
  title,
  params,
  children,
}: {
  title: string;
  params: ReturnType<typeof useDashboardParams>;
  /** More controls beside the period picker. */
  children?: ReactNode;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  const { range, today, timezone, setRange, shift, canNext, filters } = params;
  useShortcuts((action) => {
    if (action.kind === 'preset') setRange({ kind: 'preset', preset: action.preset });
    else shift(action.step);
  });
  return (
    <>
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <Stack gap={0}>
          <Title order={1} size="h2" ref={heading} tabIndex={-1} style={{ outline: 'none' }}>
            {title}
          </Title>
          <Text size="sm" c="dimmed" data-testid="range-label">
            {rangeLabel(range)} · {timezone}
          </Text>
        </Stack>
        <Group gap="sm" align="flex-end" wrap="wrap">
          {children}
          <RangePicker
            range={range}
            today={today}
            onChange={setRange}
            onShift={shift}
            canNext={canNext}
            canPrevious={params.canPrevious}
          />
        </Group>
      </Group>
      <FilterChips
        filters={filters}
        onRemove={params.removeFilter}
        onClear={params.clearFilters}
        focusWhenEmpty={() => heading.current}
      />
    </>
  );
}
