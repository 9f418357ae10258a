import { Card, Group, SegmentedControl, Skeleton, Switch, Table, Text, Title, VisuallyHidden } from '@mantine/core';
import type { UseQueryResult } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { Area, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { type StatsQuery, useTimeseries } from '../../api/hooks';
import type { TimePoint } from '../../api/types';
import { resolvedLabel } from '../../lib/dateRange';
import {
  currentPoint,
  INTERVAL_LABELS,
  INTERVALS,
  type Interval,
  perInterval,
  pointLabel,
  pointName,
} from '../../lib/intervals';
import type { ChartMetric, CompareMode } from '../../lib/useDashboardParams';
import { EmptyState, QueryView } from '../QueryState';
import { ADDITIVE, METRIC_FORMAT, METRIC_LABELS } from './StatCards';

const HEIGHT = 280;

export interface ChartProps {
  query: StatsQuery;
  /** The comparison line's period: the one just before, or the same days a year earlier. */
  previousQuery: StatsQuery;
  metric: ChartMetric;
  compare: CompareMode | null;
  onCompare: (mode: CompareMode | null) => void;
  /** Today in the site's zone: the point holding it is still growing. */
  today: string;
  interval: Interval;
  /** The intervals the period allows. */
  intervals: Interval[];
  onInterval: (interval: Interval) => void;
}

export interface ChartRow {
  start: string;
  /** The metric on finished points (null on the running one, drawn by `partial`, and later ones). */
  value: number | null;
  /** The last finished point and the running one, drawn dashed: it is not over. */
  partial: number | null;
  previous: number | null;
  previousStart: string | null;
  /** The point's figure, whatever the series (null for points that have not begun). */
  total: number | null;
}

/**
 * The points the chart draws: the metric per point, the running one dashed, those not begun
 * (later hours of today) empty, the comparison period's beside.
 */
export function chartRows(
  points: TimePoint[],
  metric: ChartMetric,
  current: number,
  previous?: TimePoint[],
): ChartRow[] {
  return points.map((p, i) => {
    const prev = previous?.[i];
    const begun = current < 0 || i <= current;
    return {
      start: p.start,
      value: begun && i !== current ? p[metric] : null,
      partial: current >= 0 && (i === current || i === current - 1) ? p[metric] : null,
      previous: prev ? prev[metric] : null,
      previousStart: prev ? prev.start : null,
      total: begun ? p[metric] : null,
    };
  });
}

export const COMPARE_LABELS: Record<CompareMode, string> = {
  previous: 'Previous period',
  year: 'Same period last year',
};

/** "Visitors per day, Mar 1 – Mar 30, 2024: at most 80 (Mar 5)…"; counts that add up give a total. */
export function describeChart(
  rows: ChartRow[],
  metric: ChartMetric,
  interval: Interval,
  running: boolean,
  compare: CompareMode = 'previous',
): string {
  const title = `${METRIC_LABELS[metric]} ${perInterval(interval)}`;
  const shown = rows.filter((r) => r.total !== null);
  if (shown.length === 0) return `${title}: no points`;
  const format = METRIC_FORMAT[metric];
  const peak = shown.reduce((best, r) => ((r.total ?? 0) > (best.total ?? 0) ? r : best), shown[0]!);
  const label = resolvedLabel({ from: rows[0]!.start.slice(0, 10), to: rows.at(-1)!.start.slice(0, 10) });
  const additive = ADDITIVE.has(metric);
  const sum = (values: (number | null)[]) => values.reduce<number>((s, v) => s + (v ?? 0), 0);
  const total = additive ? `${format(sum(shown.map((r) => r.total)))} in total, ` : '';
  const comparison = rows.some((r) => r.previous !== null)
    ? `; ${COMPARE_LABELS[compare].toLowerCase()}: ${
        additive ? format(sum(rows.map((r) => r.previous))) : 'drawn dashed'
      }`
    : '';
  return (
    `${title}, ${label}: ${total}at most ${format(peak.total ?? 0)} (${pointName(peak.start, interval)})` +
    `${comparison}${running ? `; this ${interval} is not over yet` : ''}.`
  );
}

function ChartTable({
  rows,
  metric,
  interval,
  id,
  current,
  compare,
}: {
  rows: ChartRow[];
  metric: ChartMetric;
  interval: Interval;
  id: string;
  current: number;
  compare: CompareMode;
}) {
  const withPrevious = rows.some((r) => r.previous !== null);
  const format = METRIC_FORMAT[metric];
  return (
    <VisuallyHidden>
      <Table id={id} data-testid="chart-table">
        <caption>
          {METRIC_LABELS[metric]} {perInterval(interval)}
        </caption>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">{INTERVAL_LABELS[interval]}</Table.Th>
            <Table.Th scope="col">{METRIC_LABELS[metric]}</Table.Th>
            {withPrevious && <Table.Th scope="col">{COMPARE_LABELS[compare]}</Table.Th>}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((r, i) => (
            <Table.Tr key={r.start}>
              <Table.Th scope="row">
                {pointName(r.start, interval)}
                {i === current ? ' (so far)' : ''}
              </Table.Th>
              <Table.Td>{r.total === null ? '–' : format(r.total)}</Table.Td>
              {withPrevious && (
                <Table.Td>
                  {r.previous === null ? '–' : format(r.previous)}
                  {r.previousStart ? ` (${pointName(r.previousStart, interval)})` : ''}
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
  interval,
  current,
  compare,
}: {
  rows: ChartRow[];
  metric: ChartMetric;
  interval: Interval;
  current: number;
  compare: CompareMode;
}) {
  const tableId = useId();
  const color = 'var(--mantine-primary-color-filled)';
  const muted = 'var(--mantine-color-dimmed)';
  const name = METRIC_LABELS[metric];
  const format = METRIC_FORMAT[metric];
  const withPrevious = rows.some((r) => r.previous !== null);
  const dots = rows.length <= 31;
  return (
    <>
      <div
        role="img"
        aria-label={describeChart(rows, metric, interval, current >= 0, compare)}
        aria-describedby={tableId}
        data-testid="chart-plot"
        style={{ width: '100%', height: HEIGHT }}
      >
        <ResponsiveContainer width="100%" height="100%">
          <ComposedChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: -8 }} accessibilityLayer={false}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="var(--mantine-color-default-border)" />
            <XAxis
              dataKey="start"
              tickFormatter={(start: string) => pointLabel(start, interval)}
              minTickGap={24}
              fontSize={12}
              tick={{ fill: muted }}
              stroke="var(--mantine-color-default-border)"
            />
            <YAxis
              allowDecimals={metric === 'viewsPerSession'}
              tickFormatter={(n: number) => format(n)}
              fontSize={12}
              tick={{ fill: muted }}
              stroke="var(--mantine-color-default-border)"
            />
            <Tooltip
              labelFormatter={(start) => pointName(String(start), interval)}
              formatter={(v, _name, item) => {
                const row = item.payload as ChartRow;
                if (item.dataKey === 'previous') {
                  return [
                    format(Number(v)),
                    `${COMPARE_LABELS[compare]} (${pointName(row.previousStart ?? '', interval)})`,
                  ];
                }
                return [format(Number(v)), rows[current]?.start === row.start ? `${name} (so far)` : name];
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
            {current >= 0 && (
              <Line
                type="monotone"
                dataKey="partial"
                name={`This ${interval} (not over yet)`}
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
      <ChartTable rows={rows} metric={metric} interval={interval} id={tableId} current={current} compare={compare} />
    </>
  );
}

function ChartBody({
  series,
  previous,
  metric,
  interval,
  today,
  compare = 'previous',
}: {
  series: UseQueryResult<TimePoint[]>;
  previous?: UseQueryResult<TimePoint[]>;
  metric: ChartMetric;
  interval: Interval;
  today: string;
  compare?: CompareMode;
}) {
  return (
    <QueryView
      query={series}
      loading={<Skeleton height={HEIGHT} data-testid="loading" />}
      isEmpty={(points) => points.every((p) => p[metric] === 0) && (previous?.data ?? []).every((p) => p[metric] === 0)}
      empty={<EmptyState />}
      errorTitle="Chart"
    >
      {(points) => {
        const current = currentPoint(
          points.map((p) => p.start),
          interval,
          today,
          Date.now(),
        );
        return (
          <>
            {previous?.isError && (
              <Text size="sm" c="red" role="status">
                {COMPARE_LABELS[compare]}: could not be loaded.
              </Text>
            )}
            <Plot
              rows={chartRows(points, metric, current, previous?.data)}
              metric={metric}
              interval={interval}
              current={current}
              compare={compare}
            />
          </>
        );
      }}
    </QueryView>
  );
}

export default function ChartView({
  query,
  previousQuery,
  metric,
  today,
  compare,
  onCompare,
  interval,
  intervals,
  onInterval,
}: ChartProps) {
  const titleId = useId();
  const series = useTimeseries(query, interval);
  // The comparison period is only asked for while it is drawn.
  const previous = useTimeseries(previousQuery, interval, { enabled: compare !== null });
  // The mode the switch turns back on.
  const [lastMode, setLastMode] = useState<CompareMode>(compare ?? 'previous');
  return (
    <Card withBorder padding="md" data-testid="chart" component="section" aria-labelledby={titleId}>
      <Group justify="space-between" mb="sm" gap="xs">
        <Title order={2} size="h5" fw={600} id={titleId}>
          {METRIC_LABELS[metric]} {perInterval(interval)}
        </Title>
        <Group gap="xs">
          <SegmentedControl
            size="xs"
            aria-label="Interval"
            value={interval}
            onChange={(value) => onInterval(value as Interval)}
            data={INTERVALS.map((i) => ({
              value: i,
              label: INTERVAL_LABELS[i],
              disabled: !intervals.includes(i),
            }))}
            data-testid="interval"
          />
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
        <ChartBody
          series={series}
          previous={previous}
          metric={metric}
          interval={interval}
          today={today}
          compare={compare}
        />
      ) : (
        <ChartBody series={series} metric={metric} interval={interval} today={today} />
      )}
    </Card>
  );
}
