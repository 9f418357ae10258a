import { Card, Group, SegmentedControl, Skeleton, Switch, Table, Text, Title, VisuallyHidden } from '@mantine/core';
import type { UseQueryResult } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { Area, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useDaily, type StatsQuery } from '../../api/hooks';
import type { DailyPoint } from '../../api/types';
import { formatDay, resolvedLabel } from '../../lib/dateRange';
import { formatNumber } from '../../lib/format';
import type { ChartMetric, CompareMode } from '../../lib/useDashboardParams';
import { EmptyState, QueryView } from '../QueryState';
import { METRIC_LABELS } from './StatCards';

const HEIGHT = 280;

export interface DailyChartProps {
  query: StatsQuery;
  /** The comparison line's days: the period just before, or the same days a year earlier. */
  previousQuery: StatsQuery;
  metric: ChartMetric;
  compare: CompareMode | null;
  onCompare: (mode: CompareMode | null) => void;
  /** Today in the site's zone: its figure is still growing. */
  today: string;
}

export interface ChartRow {
  day: string;
  /** The metric on finished days (null on today, drawn by `partial`). */
  value: number | null;
  /** The last finished day and today, drawn dashed: today is not over. */
  partial: number | null;
  previous: number | null;
  previousDay: string | null;
  /** The figure of the day, whatever the series. */
  total: number;
}

/** The points the chart draws: the metric per day, today's dashed, the previous period's beside. */
export function chartRows(
  points: DailyPoint[],
  metric: ChartMetric,
  today: string,
  previous?: DailyPoint[],
): ChartRow[] {
  const running = points.length > 0 && points.at(-1)!.day === today;
  return points.map((p, i) => {
    const last = i === points.length - 1;
    const beforeLast = i === points.length - 2;
    const prev = previous?.[i];
    return {
      day: p.day,
      value: running && last ? null : p[metric],
      partial: running && (last || beforeLast) ? p[metric] : null,
      previous: prev ? prev[metric] : null,
      previousDay: prev ? prev.day : null,
      total: p[metric],
    };
  });
}

export const COMPARE_LABELS: Record<CompareMode, string> = {
  previous: 'Previous period',
  year: 'Same period last year',
};

/** "Visitors per day, Mar 1 – Mar 30, 2024: 1,234 in total, at most 80 (Mar 5)." */
export function describeChart(
  rows: ChartRow[],
  metric: ChartMetric,
  running: boolean,
  compare: CompareMode = 'previous',
): string {
  if (rows.length === 0) return `${METRIC_LABELS[metric]} per day: no days`;
  const total = rows.reduce((sum, r) => sum + r.total, 0);
  const peak = rows.reduce((best, r) => (r.total > best.total ? r : best), rows[0]!);
  const label = resolvedLabel({ from: rows[0]!.day, to: rows.at(-1)!.day });
  const comparison = rows.some((r) => r.previous !== null)
    ? `; ${COMPARE_LABELS[compare].toLowerCase()}: ${formatNumber(rows.reduce((s, r) => s + (r.previous ?? 0), 0))}`
    : '';
  return (
    `${METRIC_LABELS[metric]} per day, ${label}: ${formatNumber(total)} in total, ` +
    `at most ${formatNumber(peak.total)} (${formatDay(peak.day, true)})${comparison}` +
    `${running ? '; today is not over yet' : ''}.`
  );
}

function ChartTable({
  rows,
  metric,
  id,
  running,
  compare,
}: {
  rows: ChartRow[];
  metric: ChartMetric;
  id: string;
  running: boolean;
  compare: CompareMode;
}) {
  const withPrevious = rows.some((r) => r.previous !== null);
  return (
    <VisuallyHidden>
      <Table id={id} data-testid="chart-table">
        <caption>{METRIC_LABELS[metric]} per day</caption>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Day</Table.Th>
            <Table.Th scope="col">{METRIC_LABELS[metric]}</Table.Th>
            {withPrevious && <Table.Th scope="col">{COMPARE_LABELS[compare]}</Table.Th>}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((r, i) => (
            <Table.Tr key={r.day}>
              <Table.Th scope="row">
                {formatDay(r.day, true)}
                {running && i === rows.length - 1 ? ' (today, so far)' : ''}
              </Table.Th>
              <Table.Td>{r.total}</Table.Td>
              {withPrevious && (
                <Table.Td>
                  {r.previous ?? '–'}
                  {r.previousDay ? ` (${formatDay(r.previousDay, true)})` : ''}
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </VisuallyHidden>
  );
}

function Plot({
  rows,
  metric,
  running,
  compare,
}: {
  rows: ChartRow[];
  metric: ChartMetric;
  running: boolean;
  compare: CompareMode;
}) {
  const tableId = useId();
  const color = 'var(--mantine-primary-color-filled)';
  const muted = 'var(--mantine-color-dimmed)';
  const name = METRIC_LABELS[metric];
  const withPrevious = rows.some((r) => r.previous !== null);
  const dots = rows.length <= 31;
  return (
    <>
      <div
        role="img"
        aria-label={describeChart(rows, metric, running, compare)}
        aria-describedby={tableId}
        data-testid="chart-plot"
        style={{ width: '100%', height: HEIGHT }}
      >
        <ResponsiveContainer width="100%" height="100%">
          <ComposedChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: -16 }} accessibilityLayer={false}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="var(--mantine-color-default-border)" />
            <XAxis
              dataKey="day"
              tickFormatter={(d: string) => formatDay(d)}
              minTickGap={24}
              fontSize={12}
              tick={{ fill: muted }}
              stroke="var(--mantine-color-default-border)"
            />
            <YAxis
              allowDecimals={false}
              tickFormatter={(n: number) => formatNumber(n)}
              fontSize={12}
              tick={{ fill: muted }}
              stroke="var(--mantine-color-default-border)"
            />
            <Tooltip
              labelFormatter={(d) => formatDay(String(d), true)}
              formatter={(v, _name, item) => {
                const row = item.payload as ChartRow;
                if (item.dataKey === 'previous') {
                  return [
                    formatNumber(Number(v)),
                    `${COMPARE_LABELS[compare]} (${formatDay(row.previousDay ?? '', true)})`,
                  ];
                }
                return [formatNumber(Number(v)), row.day === rows.at(-1)?.day && running ? `${name} (so far)` : name];
              }}
              contentStyle={{
                background: 'var(--mantine-color-body)',
                border: '1px solid var(--mantine-color-default-border)',
                color: 'var(--mantine-color-text)',
              }}
            />
            <Legend />
            {withPrevious && (
              <Line
                type="monotone"
                dataKey="previous"
                name={COMPARE_LABELS[compare]}
                stroke={muted}
                strokeDasharray="4 4"
                strokeOpacity={0.8}
                dot={false}
                isAnimationActive={false}
              />
            )}
            <Area
              type="monotone"
              dataKey="value"
              name={name}
              stroke={color}
              fill={color}
              fillOpacity={0.12}
              strokeWidth={2}
              dot={dots ? { r: 2.5 } : false}
              connectNulls={false}
              isAnimationActive={false}
            />
            {running && (
              <Line
                type="monotone"
                dataKey="partial"
                name="Today (not over yet)"
                stroke={color}
                strokeWidth={2}
                strokeDasharray="5 4"
                dot={{ r: 3, strokeDasharray: '0' }}
                legendType="plainline"
                isAnimationActive={false}
              />
            )}
          </ComposedChart>
        </ResponsiveContainer>
      </div>
      <ChartTable rows={rows} metric={metric} id={tableId} running={running} compare={compare} />
    </>
  );
}

function ChartBody({
  daily,
  previous,
  metric,
  today,
  compare = 'previous',
}: {
  daily: UseQueryResult<DailyPoint[]>;
  previous?: UseQueryResult<DailyPoint[]>;
  metric: ChartMetric;
  today: string;
  compare?: CompareMode;
}) {
  return (
    <QueryView
      query={daily}
      loading={<Skeleton height={HEIGHT} data-testid="loading" />}
      isEmpty={(points) => points.every((p) => p[metric] === 0) && (previous?.data ?? []).every((p) => p[metric] === 0)}
      empty={<EmptyState />}
      errorTitle="Chart"
    >
      {(points) => {
        const running = points.at(-1)?.day === today;
        return (
          <>
            {previous?.isError && (
              <Text size="sm" c="red" role="status">
                {COMPARE_LABELS[compare]}: could not be loaded.
              </Text>
            )}
            <Plot
              rows={chartRows(points, metric, today, previous?.data)}
              metric={metric}
              running={running}
              compare={compare}
            />
          </>
        );
      }}
    </QueryView>
  );
}

export default function DailyChartView({ query, previousQuery, metric, today, compare, onCompare }: DailyChartProps) {
  const titleId = useId();
  const daily = useDaily(query);
  // The previous period is only asked for while it is drawn.
  const previous = useDaily(previousQuery, { enabled: compare !== null });
  // The mode the switch turns back on.
  const [lastMode, setLastMode] = useState<CompareMode>(compare ?? 'previous');
  return (
    <Card withBorder padding="md" data-testid="daily-chart" component="section" aria-labelledby={titleId}>
      <Group justify="space-between" mb="sm" gap="xs">
        <Title order={2} size="h5" fw={600} id={titleId}>
          {METRIC_LABELS[metric]} per day
        </Title>
        <Group gap="xs">
          <Switch
            label="Compare"
            checked={compare !== null}
            onChange={(e) => onCompare(e.currentTarget.checked ? lastMode : null)}
            size="sm"
            data-testid="compare-toggle"
          />
          {compare && (
            <SegmentedControl
              size="xs"
              aria-label="Compare with"
              value={compare}
              onChange={(value) => {
                setLastMode(value as CompareMode);
                onCompare(value as CompareMode);
              }}
              data={[
                { value: 'previous', label: COMPARE_LABELS.previous },
                { value: 'year', label: COMPARE_LABELS.year },
              ]}
            />
          )}
        </Group>
      </Group>
      {compare ? (
        <ChartBody daily={daily} previous={previous} metric={metric} today={today} compare={compare} />
      ) : (
        <ChartBody daily={daily} metric={metric} today={today} />
      )}
    </Card>
  );
}
