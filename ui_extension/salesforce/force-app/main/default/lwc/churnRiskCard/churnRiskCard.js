// ChurnGuard risk on Account and Contact record pages, read from the ChurnGuard_* fields with
// Lightning Data Service (getRecord); nothing calls the daemon. Fields are optional, so a user
// without field-level security on one of them still sees the rest.
import { LightningElement, api, wire } from 'lwc';
import { getRecord } from 'lightning/uiRecordApi';

export const FIELDS = [
    'ChurnGuard_Risk_Score__c',
    'ChurnGuard_Risk_Tier__c',
    'ChurnGuard_Risk_Reasons__c',
    'ChurnGuard_Risk_Trend__c',
    'ChurnGuard_Sentiment__c',
    'ChurnGuard_Engagement__c',
    'ChurnGuard_Next_Action__c',
    'ChurnGuard_Offer__c',
    'ChurnGuard_Holdout__c',
    'ChurnGuard_Scored_At__c',
    'ChurnGuard_Model__c'
];
export const STALE_AFTER_DAYS = 7;

const ACTION_LABELS = {
    none: 'No action',
    offer: 'Make a retention offer',
    survey: 'Ask for feedback (survey)',
    proactive_support: 'Proactive support check-in',
    loyalty_reward: 'Loyalty reward'
};

export default class ChurnRiskCard extends LightningElement {
    @api recordId;
    @api objectApiName;
    record;
    error;
    now = Date.now();

    get optionalFields() {
        const object = this.objectApiName || 'Account';
        return FIELDS.map((f) => `${object}.${f}`);
    }

    @wire(getRecord, { recordId: '$recordId', optionalFields: '$optionalFields' })
    wiredRecord({ data, error }) {
        this.record = data;
        this.error = error;
    }

    value(name) {
        const f = this.record && this.record.fields ? this.record.fields[name] : undefined;
        return f === undefined || f.value === null || f.value === undefined ? null : f.value;
    }

    get loading() {
        return !this.record && !this.error;
    }
    get errorMessage() {
        if (!this.error) return null;
        const body = this.error.body;
        return (body && (body.message || (Array.isArray(body) && body[0] && body[0].message))) || 'Unknown error';
    }
    get score() {
        return this.value('ChurnGuard_Risk_Score__c');
    }
    get unscored() {
        return !!this.record && this.score === null;
    }
    get scored() {
        return !!this.record && this.score !== null;
    }
    get scoredAt() {
        const v = this.value('ChurnGuard_Scored_At__c');
        return v ? new Date(v) : null;
    }
    get ageDays() {
        return this.scoredAt ? Math.floor((this.now - this.scoredAt.getTime()) / 86400000) : null;
    }
    get stale() {
        return this.scored && this.ageDays !== null && this.ageDays > STALE_AFTER_DAYS;
    }
    get tier() {
        return this.value('ChurnGuard_Risk_Tier__c');
    }
    get tierClass() {
        return `tier tier-${this.tier || 'unknown'}`;
    }
    get tierLabel() {
        return this.tier ? `${this.tier} risk` : '';
    }
    get trend() {
        return this.value('ChurnGuard_Risk_Trend__c');
    }
    get hasTrend() {
        return this.trend !== null && this.trend !== 0;
    }
    get trendLabel() {
        if (!this.hasTrend) return '';
        return `${this.trend > 0 ? '▲' : '▼'} ${Math.abs(this.trend)} pts in 30 days`;
    }
    get reasons() {
        const text = this.value('ChurnGuard_Risk_Reasons__c') || '';
        return text
            .split(';')
            .map((r) => r.trim())
            .filter((r) => r.length > 0)
            .map((r, i) => ({ key: `r${i}`, text: r }));
    }
    get hasReasons() {
        return this.reasons.length > 0;
    }
    get sentiment() {
        return this.value('ChurnGuard_Sentiment__c');
    }
    get hasSentiment() {
        return this.sentiment !== null;
    }
    get engagement() {
        return this.value('ChurnGuard_Engagement__c');
    }
    get hasEngagement() {
        return this.engagement !== null;
    }
    get holdout() {
        return this.value('ChurnGuard_Holdout__c') === true;
    }
    get nextAction() {
        if (this.holdout) return 'None (holdout)';
        const a = this.value('ChurnGuard_Next_Action__c');
        return a && a !== 'none' ? ACTION_LABELS[a] || a : 'None';
    }
    get offer() {
        return this.holdout ? null : this.value('ChurnGuard_Offer__c');
    }
    get scoredLabel() {
        const at = this.scoredAt ? this.scoredAt.toISOString().slice(0, 16).replace('T', ' ') + ' UTC' : 'unknown';
        const model = this.value('ChurnGuard_Model__c');
        return model ? `${at} by ${model}` : at;
    }
}
