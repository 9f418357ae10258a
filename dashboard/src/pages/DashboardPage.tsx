import { Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { DailyChart } from '../components/dashboard/DailyChart';
import { FilterChips } from '../components/dashboard/FilterChips';
import { BreakdownPanel, EventsPanel, PagesPanel, type BreakdownTab } from '../components/dashboard/Panels';
import { RangePicker } from '../components/dashboard/RangePicker';
import { RealtimeBadge } from '../components/dashboard/RealtimeBadge';
import { RefusedEventsNotice } from '../components/RefusedEventsNotice';
import { OverviewCards, SummaryCards } from '../components/dashboard/StatCards';
import { rangeLabel } from '../lib/dateRange';
import { useDashboardParams } from '../lib/useDashboardParams';
import { useDocumentTitle } from '../lib/title';

const SOURCES: BreakdownTab[] = [
  { dimension: 'referrerDomain', label: 'Referrers' },
  { dimension: 'utmSource', label: 'UTM source' },
  { dimension: 'utmMedium', label: 'UTM medium' },
  { dimension: 'utmCampaign', label: 'UTM campaign' },
];
const DEVICES: BreakdownTab[] = [
  { dimension: 'browser', label: 'Browser' },
  { dimension: 'os', label: 'OS' },
  { dimension: 'device', label: 'Device' },
];
const COUNTRIES: BreakdownTab[] = [{ dimension: 'country', label: 'Country' }];
const PAGES: BreakdownTab[] = [
  { dimension: 'entryPage', label: 'Entry pages' },
  { dimension: 'exitPage', label: 'Exit pages' },
];

export function DashboardPage() {
  useDocumentTitle('Dashboard');
  const { range, filters, today, query, timezone, setRange, addFilter, removeFilter, clearFilters } =
    useDashboardParams();

  return (
    <Stack gap="md">
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <Stack gap={0}>
          <Title order={1} size="h2">
            Dashboard
          </Title>
          <Text size="sm" c="dimmed" data-testid="range-label">
            {rangeLabel(range)} · {timezone}
          </Text>
        </Stack>
        <Group gap="sm" align="flex-end" wrap="wrap">
          <RealtimeBadge filters={filters} />
          <RangePicker range={range} today={today} onChange={setRange} />
        </Group>
      </Group>

      <RefusedEventsNotice since="lastHour" />
      <FilterChips filters={filters} onRemove={removeFilter} onClear={clearFilters} />

      <OverviewCards filters={filters} />
      <SummaryCards query={query} />
      <DailyChart query={query} />

      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <EventsPanel query={query} onFilter={addFilter} />
        <PagesPanel query={query} onFilter={addFilter} />
        <BreakdownPanel title="Sources" tabs={SOURCES} query={query} onFilter={addFilter} />
        <BreakdownPanel title="Pages" tabs={PAGES} query={query} onFilter={addFilter} />
        <BreakdownPanel title="Devices" tabs={DEVICES} query={query} onFilter={addFilter} />
        <BreakdownPanel title="Countries" tabs={COUNTRIES} query={query} onFilter={addFilter} />
      </SimpleGrid>
    </Stack>
  );
}
