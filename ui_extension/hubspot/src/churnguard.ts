// What the card shows, from the churnguard_* properties alone (the daemon can stay behind a
// firewall: the card never calls it). Pure, so every state is testable without a renderer.
import contract from './churnguard-properties.json';

export const PROPERTY_NAMES: string[] = contract.properties.map((p: { name: string }) => p.name);

export type Tier = 'low' | 'medium' | 'high' | 'critical';
export const STALE_AFTER_DAYS = 7;

export interface RiskView {
  state: 'unscored' | 'scored' | 'stale';
  score: number | null;
  tier: Tier | null;
  trend: number | null;          // score change over 30 days
  reasons: string[];
  sentiment: number | null;      // -100..100
  engagement: number | null;     // 0..100
  nextAction: string | null;     // human label
  offer: string | null;
  holdout: boolean;
  scoredAt: Date | null;
  ageDays: number | null;
  model: string | null;
}

const ACTION_LABELS: Record<string, string> = {
  none: 'No action',
  offer: 'Make a retention offer',
  survey: 'Ask for feedback (survey)',
  proactive_support: 'Proactive support check-in',
  loyalty_reward: 'Loyalty reward',
};

// HubSpot tags have five colours; high and critical share red and differ in their text.
export const TIER_VARIANT: Record<Tier, 'success' | 'warning' | 'error'> = {
  low: 'success',
  medium: 'warning',
  high: 'error',
  critical: 'error',
};

function num(v: string | null | undefined): number | null {
  if (v === null || v === undefined || v.trim() === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

function date(v: string | null | undefined): Date | null {
  if (!v) return null;
  // HubSpot returns datetimes as ISO strings or epoch milliseconds.
  const d = /^\d+$/.test(v) ? new Date(Number(v)) : new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function interpret(props: Record<string, string | null>, now: Date): RiskView {
  const score = num(props.churnguard_risk_score);
  const tierText = props.churnguard_risk_tier ?? '';
  const tier = (['low', 'medium', 'high', 'critical'] as const).find((t) => t === tierText) ?? null;
  const scoredAt = date(props.churnguard_scored_at);
  const ageDays = scoredAt ? Math.floor((now.getTime() - scoredAt.getTime()) / 86_400_000) : null;
  const action = props.churnguard_next_action ?? '';
  const state = score === null ? 'unscored' : ageDays !== null && ageDays > STALE_AFTER_DAYS ? 'stale' : 'scored';
  return {
    state,
    score,
    tier,
    trend: num(props.churnguard_risk_trend),
    reasons: (props.churnguard_risk_reasons ?? '')
      .split(';')
      .map((r) => r.trim())
      .filter((r) => r.length > 0),
    sentiment: num(props.churnguard_sentiment),
    engagement: num(props.churnguard_engagement),
    nextAction: action && action !== 'none' ? (ACTION_LABELS[action] ?? action) : null,
    offer: props.churnguard_offer?.trim() || null,
    holdout: props.churnguard_holdout === 'true',
    scoredAt,
    ageDays,
    model: props.churnguard_model || null,
  };
}
