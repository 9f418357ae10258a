import { Card, Skeleton, Text, useMantineTheme } from '@mantine/core';
import { Area, AreaChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useDaily, type StatsQuery } from '../../api/hooks';
import { formatDay } from '../../lib/dateRange';
import { formatNumber } from '../../lib/format';
import { EmptyState, QueryView } from '../QueryState';

const HEIGHT = 280;

export default function DailyChartView({ query }: { query: StatsQuery }) {
  const daily = useDaily(query);
  const theme = useMantineTheme();
  const users = theme.colors.blue[6];
  const sessions = theme.colors.teal[5];
  return (
    <Card withBorder padding="md" data-testid="daily-chart">
      <Text fw={600} mb="sm" component="h3" m={0}>
        Daily Active Users
      </Text>
      <QueryView
        query={daily}
        loading={<Skeleton height={HEIGHT} data-testid="loading" />}
        isEmpty={(points) => points.every((p) => p.users === 0 && p.sessions === 0)}
        empty={<EmptyState />}
      >
        {(points) => (
          <div
            role="img"
            aria-label={`Daily users and sessions from ${points[0]?.day ?? ''} to ${points.at(-1)?.day ?? ''}`}
            style={{ width: '100%', height: HEIGHT }}
          >
            <ResponsiveContainer width="100%" height="100%">
              <AreaChart data={points} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="day" tickFormatter={(d: string) => formatDay(d)} minTickGap={24} fontSize={12} />
                <YAxis allowDecimals={false} tickFormatter={(n: number) => formatNumber(n)} fontSize={12} />
                <Tooltip
                  labelFormatter={(d) => formatDay(String(d), true)}
                  formatter={(v) => formatNumber(Number(v))}
                />
                <Legend />
                <Area
                  type="monotone"
                  dataKey="users"
                  name="Users"
                  stroke={users}
                  fill={users}
                  fillOpacity={0.15}
                  isAnimationActive={false}
                />
                <Area
                  type="monotone"
                  dataKey="sessions"
                  name="Sessions"
                  stroke={sessions}
                  fill={sessions}
                  fillOpacity={0.1}
                  isAnimationActive={false}
                />
              </AreaChart>
            </ResponsiveContainer>
          </div>
        )}
      </QueryView>
    </Card>
  );
}
