import { describe, expect, it } from 'vitest';
import React from 'react';
import { Alert, EmptyState, ErrorState, List, LoadingSpinner, StatisticsItem, StatisticsTrend, Tag, Text } from '@hubspot/ui-extensions';
import { createRenderer } from '@hubspot/ui-extensions/testing';

import { ChurnRiskCard } from './ChurnRiskCard';
import { PROPERTY_NAMES } from './churnguard';

const NOW = new Date('2026-11-24T12:00:00Z');

function props(over: Record<string, string | null> = {}): Record<string, string | null> {
  const base: Record<string, string | null> = Object.fromEntries(PROPERTY_NAMES.map((n) => [n, null]));
  return {
    ...base,
    churnguard_risk_score: '82',
    churnguard_risk_tier: 'critical',
    churnguard_risk_trend: '12',
    churnguard_risk_reasons: '3 support tickets in the last 30 days; Contract: Month-to-month; Support sentiment -64',
    churnguard_sentiment: '-64',
    churnguard_engagement: '31',
    churnguard_next_action: 'offer',
    churnguard_offer: '15% off renewal',
    churnguard_holdout: 'false',
    churnguard_scored_at: '2026-11-24T06:00:00.000Z',
    churnguard_model: 'gradient_boosting-2026-11-24',
    ...over,
  };
}

function renderWith(properties: Record<string, string | null>, extra: { error?: Error; isLoading?: boolean } = {}) {
  const renderer = createRenderer('crm.record.tab');
  let asked: string[] = [];
  renderer.mocks.useCrmProperties.willCall((names: string[]) => {
    asked = names;
    return { properties, error: extra.error ?? null, isLoading: extra.isLoading ?? false, isRefetching: false, refetch: async () => {} };
  });
  const root = renderer.render(<ChurnRiskCard now={NOW} />);
  return { ...root, asked: () => asked };
}

describe('ChurnRiskCard', () => {
  it('shows a scored record: score, tier colour, trend, reasons, sentiment, engagement, action and offer', () => {
    const r = renderWith(props());
    expect(r.asked()).toEqual(PROPERTY_NAMES);  // only the contract's properties
    const stats = r.findAll(StatisticsItem);
    expect(stats.map((s) => [s.props.label, s.props.number])).toEqual([
      ['Churn risk', '82'],
      ['Support sentiment', '-64'],
      ['Engagement', '31'],
    ]);
    const trend = r.find(StatisticsTrend);
    expect(trend.props.direction).toBe('increase');
    expect(trend.props.value).toBe('12 pts in 30 days');
    const tier = r.find(Tag, { testId: 'tier' });
    expect(tier.props.variant).toBe('error');
    expect(tier.text).toBe('critical risk');
    expect(r.find(List).findAll(Text).map((t) => t.text)).toEqual([
      '3 support tickets in the last 30 days',
      'Contract: Month-to-month',
      'Support sentiment -64',
    ]);
    expect(r.find(Text, { testId: 'next-action' }).text).toBe('Make a retention offer');
    expect(r.find(Text, { testId: 'offer' }).text).toBe('15% off renewal');
    expect(r.find(Text, { testId: 'scored-at' }).text).toBe('2026-11-24 06:00 UTC by gradient_boosting-2026-11-24');
    expect(r.maybeFind(Alert)).toBeNull();
    expect(r.maybeFind(Tag, { testId: 'holdout' })).toBeNull();
  });

  it('says so when the record was never scored', () => {
    const r = renderWith(props({ churnguard_risk_score: null, churnguard_risk_tier: null, churnguard_scored_at: null }));
    expect(r.find(EmptyState).props.title).toBe('Not scored yet');
    expect(r.maybeFind(StatisticsItem)).toBeNull();
  });

  it('warns when the score is older than 7 days', () => {
    const r = renderWith(props({ churnguard_scored_at: '2026-11-10T06:00:00.000Z' }));
    const alert = r.find(Alert);
    expect(alert.props.variant).toBe('warning');
    expect(alert.text).toContain('14 days ago');
    expect(r.find(StatisticsItem).props.number).toBe('82');  // still shown, with the warning
  });

  it('marks holdout customers and shows no action or offer for them', () => {
    const r = renderWith(props({ churnguard_holdout: 'true' }));
    expect(r.find(Tag, { testId: 'holdout' }).text).toContain('Holdout');
    expect(r.find(Text, { testId: 'next-action' }).text).toBe('None (holdout)');
    expect(r.maybeFind(Text, { testId: 'offer' })).toBeNull();
  });

  it('shows an error state when the properties cannot be read', () => {
    const r = renderWith({}, { error: new Error('Missing scope crm.objects.companies.read') });
    const err = r.find(ErrorState);
    expect(err.props.title).toBe('Churn risk could not be loaded');
    expect(err.find(Text).text).toContain('Missing scope');
  });

  it('shows a spinner while loading and a falling trend as a decrease', () => {
    expect(renderWith({}, { isLoading: true }).maybeFind(LoadingSpinner)).not.toBeNull();
    const r = renderWith(props({ churnguard_risk_trend: '-5', churnguard_risk_tier: 'low', churnguard_next_action: 'none' }));
    expect(r.find(StatisticsTrend).props.direction).toBe('decrease');
    expect(r.find(Tag, { testId: 'tier' }).props.variant).toBe('success');
    expect(r.find(Text, { testId: 'next-action' }).text).toBe('None');
  });
});
