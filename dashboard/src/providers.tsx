import { Anchor, createTheme, type CSSVariablesResolver, MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { ApiError, isTimeout } from './api/client';

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // Do not retry what the server rejected (4xx), nor a report that got no answer within the
        // time limit (the page says so, with Retry); retry network failures and 5xx twice.
        retry: (failureCount, error) =>
          !(error instanceof ApiError && error.status >= 400 && error.status < 500) &&
          !isTimeout(error) &&
          failureCount < 2,
        refetchOnWindowFocus: false,
      },
    },
  });
}

/**
 * WCAG AA everywhere: filled buttons and badges on shade 8 with the text colour picked by
 * contrast (white on blue, red; black on teal, green, orange), and text colours at least 4.5:1
 * on the page and on their own light backgrounds. axe-core checks every page in both schemes
 * (tests/browser/test_dashboard_a11y.py).
 */
export const theme = createTheme({
  primaryColor: 'blue',
  primaryShade: { light: 8, dark: 8 },
  autoContrast: true,
  // White text needs a background luminance ≤ 0.183 for 4.5:1, black text ≥ 0.175.
  luminanceThreshold: 0.18,
  components: {
    // A link inside text must not be told apart by colour alone (WCAG 1.4.1).
    Anchor: Anchor.extend({ defaultProps: { underline: 'always' } }),
  },
});

/** Light-scheme text on white and on the colour's light background (shade 1), ≥ 4.8:1. */
const LIGHT_TEXT: Record<string, string> = {
  red: '#c12828',
  cyan: '#0b7082',
  teal: '#077554',
  green: '#257735',
  lime: '#4a760a',
  yellow: '#a15300',
  orange: '#b63c0d',
};

const COLORS = [
  'gray',
  'red',
  'pink',
  'grape',
  'violet',
  'indigo',
  'blue',
  'cyan',
  'teal',
  'green',
  'lime',
  'yellow',
  'orange',
];

export const cssVariablesResolver: CSSVariablesResolver = () => {
  const light: Record<string, string> = {
    // Mantine's gray-6 is 3.3:1 on white.
    '--mantine-color-dimmed': '#5f666d',
    '--mantine-color-error': LIGHT_TEXT.red!,
    '--mantine-color-placeholder': 'var(--mantine-color-gray-6)',
  };
  for (const color of COLORS) {
    const text = LIGHT_TEXT[color] ?? `var(--mantine-color-${color}-9)`;
    light[`--mantine-color-${color}-text`] = text;
    light[`--mantine-color-${color}-light-color`] = text;
  }
  return {
    variables: {},
    light,
    dark: {
      // dark-2 is 4.0:1 on the dark body.
      '--mantine-color-dimmed': 'var(--mantine-color-dark-1)',
      '--mantine-color-error': 'var(--mantine-color-red-4)',
      '--mantine-color-placeholder': 'var(--mantine-color-dark-2)',
    },
  };
};

export function Providers({ client, children }: { client: QueryClient; children: ReactNode }) {
  return (
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver} defaultColorScheme="auto">
      <QueryClientProvider client={client}>{children}</QueryClientProvider>
    </MantineProvider>
  );
}
