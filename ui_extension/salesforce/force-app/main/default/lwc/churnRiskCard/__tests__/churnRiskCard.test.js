import { createElement } from 'lwc';
import { getRecord } from 'lightning/uiRecordApi';
import ChurnRiskCard, { FIELDS } from 'c/churnRiskCard';

const NOW = Date.parse('2026-11-24T12:00:00Z');

function record(values) {
    const fields = {};
    for (const f of FIELDS) fields[f] = { value: null, displayValue: null };
    for (const [k, v] of Object.entries(values)) fields[k] = { value: v, displayValue: null };
    return { apiName: 'Account', id: '001000000000001AAA', fields };
}

const SCORED = {
    ChurnGuard_Risk_Score__c: 82,
    ChurnGuard_Risk_Tier__c: 'critical',
    ChurnGuard_Risk_Trend__c: 12,
    ChurnGuard_Risk_Reasons__c: '3 support tickets in the last 30 days; Contract: Month-to-month; Support sentiment -64',
    ChurnGuard_Sentiment__c: -64,
    ChurnGuard_Engagement__c: 31,
    ChurnGuard_Next_Action__c: 'offer',
    ChurnGuard_Offer__c: '15% off renewal',
    ChurnGuard_Holdout__c: false,
    ChurnGuard_Scored_At__c: '2026-11-24T06:00:00.000Z',
    ChurnGuard_Model__c: 'gradient_boosting-2026-11-24'
};

async function mount(objectApiName = 'Account') {
    const el = createElement('c-churn-risk-card', { is: ChurnRiskCard });
    el.recordId = '001000000000001AAA';
    el.objectApiName = objectApiName;
    document.body.appendChild(el);
    return el;
}

const text = (el, sel) => {
    const n = el.shadowRoot.querySelector(sel);
    return n ? n.textContent.trim() : null;
};

describe('c-churn-risk-card', () => {
    let realNow;
    beforeAll(() => {
        realNow = Date.now;
        Date.now = () => NOW;
    });
    afterAll(() => {
        Date.now = realNow;
    });
    afterEach(() => {
        while (document.body.firstChild) document.body.removeChild(document.body.firstChild);
    });

    it('asks only for the contract fields, on the record page object', async () => {
        await mount('Contact');
        const config = getRecord.getLastConfig();
        expect(config.recordId).toBe('001000000000001AAA');
        expect(config.optionalFields).toEqual(FIELDS.map((f) => `Contact.${f}`));
    });

    it('shows a scored record', async () => {
        const el = await mount();
        getRecord.emit(record(SCORED));
        await Promise.resolve();
        expect(text(el, '.score')).toBe('82');
        expect(text(el, '.trend')).toBe('▲ 12 pts in 30 days');
        expect(text(el, '.tier-critical')).toBe('critical risk');
        expect([...el.shadowRoot.querySelectorAll('.reasons li')].map((li) => li.textContent)).toEqual([
            '3 support tickets in the last 30 days',
            'Contract: Month-to-month',
            'Support sentiment -64'
        ]);
        expect(text(el, '.sentiment')).toBe('-64');
        expect(text(el, '.engagement')).toBe('31');
        expect(text(el, '.next-action')).toBe('Make a retention offer');
        expect(text(el, '.offer')).toBe('15% off renewal');
        expect(text(el, '.scored-at')).toBe('2026-11-24 06:00 UTC by gradient_boosting-2026-11-24');
        expect(el.shadowRoot.querySelector('.stale')).toBeNull();
        expect(el.shadowRoot.querySelector('.holdout')).toBeNull();
    });

    it('says so when the record was never scored', async () => {
        const el = await mount();
        getRecord.emit(record({}));
        await Promise.resolve();
        expect(text(el, '.unscored')).toContain('Not scored yet');
        expect(el.shadowRoot.querySelector('.score')).toBeNull();
    });

    it('warns when the score is older than 7 days', async () => {
        const el = await mount();
        getRecord.emit(record({ ...SCORED, ChurnGuard_Scored_At__c: '2026-11-10T06:00:00.000Z' }));
        await Promise.resolve();
        expect(text(el, '.stale')).toContain('14 days ago');
        expect(text(el, '.score')).toBe('82');
    });

    it('marks holdout customers and shows no action or offer', async () => {
        const el = await mount();
        getRecord.emit(record({ ...SCORED, ChurnGuard_Holdout__c: true }));
        await Promise.resolve();
        expect(el.shadowRoot.querySelector('.holdout').label).toContain('Holdout');
        expect(text(el, '.next-action')).toBe('None (holdout)');
        expect(el.shadowRoot.querySelector('.offer')).toBeNull();
    });

    it('shows the error when the record cannot be read', async () => {
        const el = await mount();
        getRecord.error({ message: 'INSUFFICIENT_ACCESS' }, 403, 'Forbidden');
        await Promise.resolve();
        expect(text(el, '.error')).toContain('could not be loaded');
        expect(el.shadowRoot.querySelector('.score')).toBeNull();
    });
});
